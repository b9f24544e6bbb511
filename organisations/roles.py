"""Who may see and do what, on the ground floor (DESIGN.md, "Who uses it"): the role
predicates, and which teams, people and tokens a person may see. Every other app builds the
visibility of its own rows on these, as QuerySet methods (``Idea.objects.visible_to(user)``).

Rules of thumb: something outside what a person may see does not exist for them (404); a page
their role cannot use at all is forbidden (403).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from organisations.models import IntegrationToken, Role, Team, User, Webhook

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


def people_managed_by(user):
    """Everybody of the organisation, leavers too, for management and HR to manage."""
    if not can_manage_people(user):
        return User.objects.none()
    return User.objects.in_organisation(organisation_of(user))


def can_edit_person(user, person) -> bool:
    """Management edits anybody; HR anybody but management."""
    if is_management(user):
        return person.organisation_id == user.organisation_id
    return (
        is_hr(user)
        and person.organisation_id == user.organisation_id
        and (person.role != Role.MANAGEMENT)
    )


def get_editable_person_or_404(user, pk):
    person = people_managed_by(user).filter(pk=pk).first()
    if person is None:
        raise Http404
    if not can_edit_person(user, person):
        raise PermissionDenied
    return person


def can_manage_teams(user) -> bool:
    """Departments, teams and who leads them: management."""
    return is_management(user)


def can_manage_programme(user) -> bool:
    return is_management(user)


def can_manage_tokens(user) -> bool:
    return is_management(user)


def can_see_audit_log(user) -> bool:
    return is_management(user)


def can_handle_customer_requests(user) -> bool:
    """Finding, exporting and erasing a customer's data (GDPR requests)."""
    return is_management(user)


def tokens_visible_to(user):
    if not can_manage_tokens(user):
        return IntegrationToken.objects.none()
    return IntegrationToken.objects.filter(organisation=organisation_of(user))


def webhooks_visible_to(user):
    """Webhooks are registered and read by management, as tokens are."""
    if not can_manage_tokens(user):
        return Webhook.objects.none()
    return Webhook.objects.filter(organisation=organisation_of(user))


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


def can_manage_themes(user) -> bool:
    return is_management(user)


def can_import_feedback(user) -> bool:
    return is_management(user)


def get_managed_team_or_404(user, slug: str):
    """A team the person manages; 404 if they may not even open it, 403 if only not manage it."""
    team = get_team_page_or_404(user, slug)
    if not can_manage_team(user, team):
        raise PermissionDenied
    return team


def can_compare_teams(user) -> bool:
    """The management view: departments and teams compared, down to the comments."""
    return is_management(user)


def can_edit_programme(user) -> bool:
    return is_management(user)


def plan_item_owners_for(user):
    """People who can own a plan item: anyone active in the organisation."""
    organisation = organisation_of(user)
    if organisation is None:
        return User.objects.none()
    return User.objects.in_organisation(organisation).filter(is_active=True)


def can_set_targets(user) -> bool:
    """Management, and team leads (for their own team)."""
    return is_management(user) or teams_managed_by(user).exists()


def can_set_organisation_targets(user) -> bool:
    return is_management(user)


def can_publish_updates(user) -> bool:
    return is_management(user)


def can_manage_values(user) -> bool:
    return is_management(user) or is_hr(user)


def can_run_alignment(user) -> bool:
    """Open and close alignment surveys (management and HR both see every group's results)."""
    return is_hr(user)


def can_see_all_alignment_results(user) -> bool:
    return is_management(user) or is_hr(user)


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
