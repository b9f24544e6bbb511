"""Who may see and do what: the one place that answers it (see DESIGN.md, "Who uses it").

Views start from the querysets here and never filter by organisation or team by hand.
Rules of thumb: something outside what a person may see does not exist for them (404); a page
their role cannot use at all is forbidden (403).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from levels.models import PlanItem
from programmes.models import IntegrationToken, Programme, Role, Target, Team, Update, User

# The roles a person's home page and navigation are built for. A team lead is an employee
# (or manager) who leads one of their teams.
HOME_MANAGEMENT = "management"
HOME_HR = "hr"
HOME_LEAD = "lead"
HOME_EMPLOYEE = "employee"
HOME_NONE = "none"


def organisation_of(user):
    if not user.is_authenticated:
        return None
    return user.organisation


def home_role(user) -> str:
    if organisation_of(user) is None:
        return HOME_NONE
    if user.role == Role.MANAGEMENT:
        return HOME_MANAGEMENT
    if user.role == Role.HR:
        return HOME_HR
    if own_teams(user).led_by(user).exists():
        return HOME_LEAD
    return HOME_EMPLOYEE


def is_management(user) -> bool:
    return organisation_of(user) is not None and user.role == Role.MANAGEMENT


def is_hr(user) -> bool:
    return organisation_of(user) is not None and user.role == Role.HR


# --- Teams -------------------------------------------------------------------------------


def teams_visible_to(user):
    """Teams whose name and KPI figures the person may see: every team of their organisation."""
    organisation = organisation_of(user)
    if organisation is None:
        return Team.objects.none()
    return Team.objects.in_organisation(organisation).select_related("department")


def team_pages_visible_to(user):
    """Teams whose own page the person may open: management and HR every team, others their own."""
    organisation = organisation_of(user)
    if organisation is None:
        return Team.objects.none()
    teams = Team.objects.in_organisation(organisation).select_related("department")
    if user.role in (Role.MANAGEMENT, Role.HR):
        return teams
    return teams.with_member(user)


def teams_with_comments_visible_to(user):
    """Teams whose customer comments the person may read: management all, employees their own.

    HR sees people and teams, but customers' words stay with the team and management.
    """
    organisation = organisation_of(user)
    if organisation is None or user.role == Role.HR:
        return Team.objects.none()
    teams = Team.objects.in_organisation(organisation)
    if user.role == Role.MANAGEMENT:
        return teams
    return teams.with_member(user)


def teams_managed_by(user):
    """Teams whose targets, ideas and survey links the person manages."""
    organisation = organisation_of(user)
    if organisation is None:
        return Team.objects.none()
    teams = Team.objects.in_organisation(organisation).select_related("department")
    if user.role == Role.MANAGEMENT:
        return teams
    return teams.led_by(user).distinct()


def own_teams(user):
    """The teams the person is in, within their own organisation (a membership left behind
    after a move to another organisation shows nothing)."""
    organisation = organisation_of(user)
    if organisation is None:
        return Team.objects.none()
    return Team.objects.in_organisation(organisation).with_member(user).select_related("department")


def get_team_page_or_404(user, slug: str) -> Team:
    team = team_pages_visible_to(user).filter(slug=slug).first()
    if team is None:
        raise Http404
    return team


def can_see_team_comments(user, team: Team) -> bool:
    return teams_with_comments_visible_to(user).filter(pk=team.pk).exists()


def can_manage_team(user, team: Team) -> bool:
    return teams_managed_by(user).filter(pk=team.pk).exists()


# --- People ------------------------------------------------------------------------------


def people_visible_to(user):
    """Management and HR see everybody in the organisation; others the colleagues in their teams."""
    organisation = organisation_of(user)
    if organisation is None:
        return User.objects.none()
    people = User.objects.in_organisation(organisation).filter(is_active=True)
    if user.role in (Role.MANAGEMENT, Role.HR):
        return people
    return people.filter(memberships__team__in=own_teams(user)).distinct()


def can_manage_people(user) -> bool:
    return is_management(user) or is_hr(user)


# --- Programme and integrations -----------------------------------------------------------


def can_manage_programme(user) -> bool:
    return is_management(user)


def can_manage_tokens(user) -> bool:
    return is_management(user)


def tokens_visible_to(user):
    if not can_manage_tokens(user):
        return IntegrationToken.objects.none()
    return IntegrationToken.objects.filter(organisation=organisation_of(user))


# --- Guards for views ----------------------------------------------------------------------


def member_required(view):
    """The person must be logged in and belong to an organisation (site admins without one
    are sent to their own home page, which explains)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if organisation_of(request.user) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def allowed_if(predicate):
    """Forbid (403) the view to anyone for whom ``predicate(user)`` is false."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- Customer feedback -----------------------------------------------------------------------


def survey_links_managed_by(user):
    """Survey links of the teams the person manages (team leads their team, management all)."""
    from feedback.models import SurveyLink

    return SurveyLink.objects.filter(team__in=teams_managed_by(user)).select_related("team")


def can_manage_themes(user) -> bool:
    return is_management(user)


def themes_managed_by(user):
    from feedback.models import Theme

    if not can_manage_themes(user):
        return Theme.objects.none()
    return Theme.objects.filter(organisation=organisation_of(user))


def can_import_feedback(user) -> bool:
    return is_management(user)


def import_jobs_visible_to(user):
    from feedback.models import ImportJob

    if not can_import_feedback(user):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(organisation=organisation_of(user)).defer("content")


def get_managed_team_or_404(user, slug: str):
    """A team the person manages; 404 if they may not even open it, 403 if only not manage it."""
    team = get_team_page_or_404(user, slug)
    if not can_manage_team(user, team):
        raise PermissionDenied
    return team


def contact_emails_visible_to(user):
    """Responses whose contact e-mail (left with the customer's consent) the person may see:
    those of teams they lead, and all for management. Nobody else, not even the team."""
    from feedback.models import Response

    return Response.objects.filter(team__in=teams_managed_by(user)).exclude(contact_email="")


def can_see_contact_email(user, response) -> bool:
    return contact_emails_visible_to(user).filter(pk=response.pk).exists()


# --- Dashboards ------------------------------------------------------------------------------


def comments_visible_to(user):
    """Customer comments the person may read: their own teams' (management all; HR none)."""
    from feedback.models import Response

    return Response.objects.filter(team__in=teams_with_comments_visible_to(user)).exclude(
        comment=""
    )


def get_comment_or_404(user, pk: int):
    response = comments_visible_to(user).select_related("team").filter(pk=pk).first()
    if response is None:
        raise Http404
    return response


def can_answer_customer(user, response) -> bool:
    """Only a lead of the response's team (or management), and only when the customer left a
    contact address with their consent."""
    return bool(response.contact_email) and can_see_contact_email(user, response)


def can_compare_teams(user) -> bool:
    """The management view: departments and teams compared, down to the comments."""
    return is_management(user)


# --- The change programme: programme, needs, plan, targets, updates ---------------------------
# Everybody in the organisation reads the programme, its needs, plan, targets and updates (the
# point is openness); only management edits the programme and publishes updates; management
# sets any target, a team lead only their own team's.


def can_edit_programme(user) -> bool:
    return is_management(user)


def programmes_visible_to(user):
    organisation = organisation_of(user)
    if organisation is None:
        return Programme.objects.none()
    return Programme.objects.in_organisation(organisation)


def plan_items_visible_to(user):
    organisation = organisation_of(user)
    if organisation is None:
        return PlanItem.objects.none()
    return PlanItem.objects.filter(programme__organisation=organisation)


def plan_item_owners_for(user):
    """People who can own a plan item: anyone active in the organisation."""
    organisation = organisation_of(user)
    if organisation is None:
        return User.objects.none()
    return User.objects.in_organisation(organisation).filter(is_active=True)


def targets_visible_to(user):
    organisation = organisation_of(user)
    if organisation is None:
        return Target.objects.none()
    return Target.objects.in_organisation(organisation)


def can_set_targets(user) -> bool:
    """Management, and team leads (for their own team)."""
    return is_management(user) or teams_managed_by(user).exists()


def target_teams_for(user):
    """Teams the person may set targets for; management may also set organisation targets."""
    return teams_managed_by(user)


def can_set_organisation_targets(user) -> bool:
    return is_management(user)


def targets_editable_by(user):
    organisation = organisation_of(user)
    if organisation is None:
        return Target.objects.none()
    targets = Target.objects.in_organisation(organisation)
    if is_management(user):
        return targets
    return targets.filter(team__in=teams_managed_by(user))


def can_publish_updates(user) -> bool:
    return is_management(user)


def updates_visible_to(user):
    """Management every update; others those for everybody and those for a team of theirs."""
    organisation = organisation_of(user)
    if organisation is None:
        return Update.objects.none()
    updates = Update.objects.in_organisation(organisation)
    if is_management(user):
        return updates
    addressed = Update.teams.through.objects.filter(update=OuterRef("pk"))
    mine = addressed.filter(team__in=own_teams(user))
    return updates.filter(~Exists(addressed) | Exists(mine))


def updates_editable_by(user):
    if not can_publish_updates(user):
        return Update.objects.none()
    return updates_visible_to(user)


def people_addressed_by(update):
    """Who an update is for: its teams' members, or everybody in the organisation."""
    people = User.objects.in_organisation(update.organisation_id).filter(is_active=True)
    teams = update.teams.all()
    if teams.exists():
        people = people.filter(memberships__team__in=teams).distinct()
    return people


# --- Values and alignment (HR) ----------------------------------------------------------------
# Individual alignment answers are never shown to anybody; levels/alignment.py decides which
# groups' figures exist at all. What is decided here is which of those each person may see.


def can_manage_values(user) -> bool:
    return is_management(user) or is_hr(user)


def can_run_alignment(user) -> bool:
    """Open and close alignment surveys (management and HR both see every group's results)."""
    return is_hr(user)


def can_see_all_alignment_results(user) -> bool:
    return is_management(user) or is_hr(user)


def values_visible_to(user):
    from levels.models import Value

    organisation = organisation_of(user)
    if organisation is None:
        return Value.objects.none()
    return Value.objects.filter(organisation=organisation)


def values_managed_by(user):
    from levels.models import Value

    if not can_manage_values(user):
        return Value.objects.none()
    return values_visible_to(user)


def alignment_surveys_visible_to(user):
    """Every survey of the person's organisation: its results are open to all its people, each
    within what ``alignment_groups_visible_to`` allows."""
    from levels.models import AlignmentSurvey

    organisation = organisation_of(user)
    if organisation is None:
        return AlignmentSurvey.objects.none()
    return AlignmentSurvey.objects.in_organisation(organisation)


def get_alignment_survey_or_404(user, pk):
    survey = alignment_surveys_visible_to(user).filter(pk=pk).select_related("organisation")
    survey = survey.first()
    if survey is None:
        raise Http404
    return survey


def alignment_invitation_of(user, survey):
    """The person's invitation to answer ``survey``, or None."""
    from levels.models import Participant

    if organisation_of(user) is None:
        return None
    return Participant.objects.filter(survey=survey, person=user).first()


def alignment_groups_visible_to(user, results, comments=False) -> set[str]:
    """Keys of result groups the person may see: management and HR every shown group, others
    the organisation and their own teams, or where a team is hidden the group it rolls up into.
    Always a subset of the groups settled as shown (for ``comments``: as shown with comments),
    so no view can reveal more than they do."""
    shown = results.comments_shown if comments else results.shown
    if can_see_all_alignment_results(user):
        return set(shown)
    own = {f"team:{pk}" for pk in own_teams(user).values_list("pk", flat=True)}
    visible = {results.root.key}

    def visit(group, shown_above):
        if group.key in own:
            if group.key in shown:
                visible.add(group.key)
            elif shown_above:
                visible.add(shown_above)
        here = group.key if group.key in shown else shown_above
        for child in group.children:
            visit(child, here)

    visit(results.root, None)
    return visible & shown


# --- Team ideas ----------------------------------------------------------------------------------
# Everybody in the organisation reads and discusses every idea (openness); linked customer
# comments show only to those who may read them. Anyone proposes for their own teams
# (management for any team). Who votes is the organisation's choice: the idea's own team, or
# everybody. Whoever manages the team moves an idea on, but nobody decides on their own idea.


def ideas_visible_to(user):
    from ideas.models import Idea

    organisation = organisation_of(user)
    if organisation is None:
        return Idea.objects.none()
    return Idea.objects.in_organisation(organisation)


def get_idea_or_404(user, pk):
    idea = ideas_visible_to(user).select_related("team", "proposer").filter(pk=pk).first()
    if idea is None:
        raise Http404
    return idea


def idea_teams_for(user):
    """Teams the person may propose an idea for: their own; management every team."""
    organisation = organisation_of(user)
    if organisation is None:
        return Team.objects.none()
    if is_management(user):
        return Team.objects.in_organisation(organisation)
    return own_teams(user)


def can_propose_ideas(user) -> bool:
    return idea_teams_for(user).exists()


def can_propose_idea_for(user, team) -> bool:
    return is_management(user) or own_teams(user).filter(pk=team.pk).exists()


def can_vote(user, idea) -> bool:
    """Colleagues vote on open ideas, not on their own; where the organisation limits voting
    to the team, only members of the idea's team."""
    if organisation_of(user) is None or user.organisation_id != idea.organisation_id:
        return False
    if not idea.is_open or idea.proposer_id == user.pk:
        return False
    if user.organisation.idea_voting == "organisation":
        return True
    return own_teams(user).filter(pk=idea.team_id).exists()


def can_discuss_idea(user, idea) -> bool:
    return organisation_of(user) is not None and user.organisation_id == idea.organisation_id


def idea_moves_for(user, idea) -> list:
    """The statuses the person may move the idea to: only whoever manages its team, and a
    decision on a proposed idea (accept or decline) never by the one who proposed it."""
    from ideas.models import IdeaStatus

    if organisation_of(user) is None or not can_manage_team(user, idea.team):
        return []
    moves = list(idea.next_statuses)
    if idea.status == IdeaStatus.PROPOSED and idea.proposer_id == user.pk:
        return []
    return moves


def can_move_idea(user, idea, to_status) -> bool:
    return to_status in idea_moves_for(user, idea)


def idea_comments_for(user, idea):
    """The customer comments linked to an idea that this person may read."""
    return comments_visible_to(user).filter(ideas=idea)


def comments_linkable_by(user, team):
    """Customer comments the person may link to an idea of ``team``: the team's, if they may
    read them."""
    return comments_visible_to(user).filter(team=team)
