"""Who owns a follow-up: the team's lead by default; the lead or management hands it to a
colleague in the team; a person who leaves gives their open follow-ups back to the lead."""

from django.utils.translation import gettext as _

from followups.models import FollowUp
from organisations import roles
from organisations.models import Membership, User


def default_owners(team_ids) -> dict[int, int]:
    """team id → the id of its lead (the longest-serving one when a team has several)."""
    owners = {}
    leads = (
        Membership.objects.filter(team_id__in=team_ids, is_lead=True, user__is_active=True)
        .order_by("team_id", "pk")
        .values_list("team_id", "user_id")
    )
    for team_id, user_id in leads:
        owners.setdefault(team_id, user_id)
    return owners


def can_reassign(user, followup) -> bool:
    return roles.can_manage_team(user, followup.team)


def colleagues(followup):
    """Who can own the follow-up: the active members of its team."""
    return User.objects.filter(
        memberships__team=followup.team, is_active=True, organisation=followup.organisation_id
    ).order_by("first_name", "last_name", "username")


def reassign(followup, *, to, by) -> str | None:
    """Hand the follow-up to ``to``; the reason it cannot be, or None when done."""
    if not can_reassign(by, followup):
        return _("Only the team's lead or management can hand a follow-up to someone else.")
    if followup.is_finished:
        return _("This follow-up is finished; it can no longer be handed on.")
    if not colleagues(followup).filter(pk=to.pk).exists():
        return _("%(name)s is not in this team: a follow-up stays with the team.") % {"name": to}
    FollowUp.objects.filter(pk=followup.pk).update(owner=to)
    followup.owner = to
    return None


def hand_back_to_lead(person) -> int:
    """A person left: their unfinished follow-ups go back to their team's lead."""
    mine = list(FollowUp.objects.unfinished().filter(owner=person).values_list("pk", "team_id"))
    owners = default_owners({team_id for _pk, team_id in mine})
    moved = 0
    for pk, team_id in mine:
        lead = owners.get(team_id)
        moved += FollowUp.objects.filter(pk=pk, owner=person).update(
            owner_id=lead if lead != person.pk else None
        )
    return moved
