"""Each role's home page: what the person's organisation and teams look like today."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_safe

from dashboards import needs_me
from followups.models import FollowUp
from ideas.notifications import notices_for
from organisations import clock, roles
from organisations.models import Membership
from programmes.models import Programme, Update

FOLLOWUPS_SHOWN = 8


@require_safe
@login_required
def home(request):
    role = roles.home_role(request.user)
    if role == roles.HOME_NONE:
        return render(request, "dashboards/home_no_organisation.html")
    organisation = request.user.organisation
    context = {
        "organisation": organisation,
        "updates": Update.objects.visible_to(request.user)
        .select_related("author")
        .prefetch_related("teams")[:3],
        "can_publish_updates": roles.can_publish_updates(request.user),
        "current_programme": Programme.objects.visible_to(request.user).current().first(),
        "idea_notices": notices_for(request.user),
    }
    if role != roles.HOME_HR:
        today = clock.local_today(organisation)
        waiting = list(FollowUp.objects.needing(request.user, today).for_list()[:FOLLOWUPS_SHOWN])
        context["followups_waiting"] = waiting
        context["followups_overdue"] = sum(1 for followup in waiting if followup.due_on < today)
        context["today"] = today
    if role in (roles.HOME_LEAD, roles.HOME_MANAGEMENT):
        context["ideas_to_decide"], context["ideas_to_decide_count"] = needs_me.ideas_to_decide(
            request.user
        )
    if role == roles.HOME_LEAD:
        context["targets_at_risk"] = needs_me.targets_at_risk(request.user)
    if role == roles.HOME_MANAGEMENT:
        context["organisation_figures"] = needs_me.organisation_this_month(organisation)
    if role == roles.HOME_HR:
        context["surveys"] = needs_me.surveys_with_response(request.user)
        context["can_run_alignment"] = roles.can_run_alignment(request.user)
        context["recent_survey_days"] = needs_me.RECENT_SURVEY_DAYS
    if role in (roles.HOME_MANAGEMENT, roles.HOME_HR):
        context["departments"] = _departments_with_teams(request.user)
        context["team_count"] = sum(len(teams) for _department, teams in context["departments"])
        context["people_count"] = roles.people_visible_to(request.user).count()
        context["active_tokens"] = None
        context["teams_without_lead"] = roles.teams_visible_to(request.user).without_lead()
        if role == roles.HOME_MANAGEMENT:
            context["active_tokens"] = roles.tokens_visible_to(request.user).active().count()
    else:
        teams = list(_teams_with_members(roles.own_teams(request.user)))
        context["teams"] = teams
        context["team_figures"] = needs_me.teams_this_month(organisation, teams)
        context["unread_comments"] = needs_me.unread_comments(request.user, teams)
        context["unread_days"] = needs_me.UNREAD_DAYS
        context["led_team_ids"] = set(
            roles.teams_managed_by(request.user).values_list("pk", flat=True)
        )
    return render(request, f"dashboards/home_{role}.html", context)


def _teams_with_members(teams):
    members = Membership.objects.select_related("user").order_by("-is_lead", "user__first_name")
    return teams.prefetch_related(Prefetch("memberships", queryset=members))


def _departments_with_teams(user):
    teams = roles.teams_visible_to(user).with_member_count()
    groups: dict = {}
    for team in teams:
        groups.setdefault(team.department, []).append(team)
    # Departments by name, teams without a department last.
    return sorted(groups.items(), key=lambda item: (item[0] is None, str(item[0] or "")))
