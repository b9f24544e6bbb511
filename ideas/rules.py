"""Who may do what with ideas (DESIGN.md, "Team ideas"), built on the role predicates.

Everybody in the organisation reads and discusses every idea (openness); linked customer
comments show only to those who may read them. Anyone proposes for their own teams
(management for any team). Who votes is the organisation's choice: the idea's own team, or
everybody. Whoever manages the team moves an idea on, but nobody decides on their own idea.
"""

from feedback.models import Response
from ideas.models import IdeaStatus
from organisations import roles


def can_vote(user, idea) -> bool:
    """Colleagues vote on open ideas, not on their own; where the organisation limits voting
    to the team, only members of the idea's team."""
    if roles.organisation_of(user) is None or user.organisation_id != idea.organisation_id:
        return False
    if not idea.is_open or idea.proposer_id == user.pk:
        return False
    if user.organisation.idea_voting == "organisation":
        return True
    return roles.own_teams(user).filter(pk=idea.team_id).exists()


def can_discuss_idea(user, idea) -> bool:
    return roles.organisation_of(user) is not None and user.organisation_id == idea.organisation_id


def idea_moves_for(user, idea) -> list:
    """The statuses the person may move the idea to: only whoever manages its team, and a
    decision on a proposed idea (accept or decline) never by the one who proposed it."""
    if roles.organisation_of(user) is None or not roles.can_manage_team(user, idea.team):
        return []
    moves = list(idea.next_statuses)
    if idea.status == IdeaStatus.PROPOSED and idea.proposer_id == user.pk:
        return []
    return moves


def idea_comments_for(user, idea):
    """The customer comments linked to an idea that this person may read."""
    return Response.objects.comments_visible_to(user).filter(ideas=idea)


def comments_linkable_by(user, team):
    """Customer comments the person may link to an idea of ``team``: the team's, if they may
    read them."""
    return Response.objects.comments_visible_to(user).filter(team=team)
