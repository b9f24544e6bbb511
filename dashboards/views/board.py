"""Every team's figures side by side (the board), and management's comparison of departments."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from dashboards import figures
from followups import figures as followup_figures
from organisations import clock, roles
from programmes import targets as target_engine


@require_safe
@login_required
@roles.member_required
def board(request):
    """Every team's figures side by side, open to everybody in the organisation: no comments."""
    organisation = request.user.organisation
    kind = figures.chosen_kind(request.GET.get("period"))
    sort = request.GET.get("sort", "name")
    sort = sort if sort in figures.BOARD_SORTS else "name"
    descending = request.GET.get("order") == "desc"
    teams = roles.teams_visible_to(request.user).order_by("name")
    own = set(roles.team_pages_visible_to(request.user).values_list("pk", flat=True))
    columns = [
        ("name", _("Team")),
        ("nps", _("NPS")),
        ("change", _("Change")),
        ("error_rate", _("Error rate")),
        ("returning", _("Returning")),
        ("responses", _("Scores")),
    ]
    total, per_team = followup_figures.follow_through(organisation, clock.local_today(organisation))
    targets_of = {}
    for row in target_engine.progress(organisation, all_teams=True):
        targets_of.setdefault(row.target.team_id, []).append(row)
    return render(
        request,
        "dashboards/board.html",
        {
            "board": figures.board(organisation, teams, kind, sort, descending),
            "targets_of": targets_of,
            "follow_through_rows": [
                (team, per_team.get(team.pk, followup_figures.FollowThrough())) for team in teams
            ],
            "follow_through_total": total,
            "follow_through_days": followup_figures.WINDOW_DAYS,
            "linked_team_ids": own,
            "organisation": organisation,
            "kind": kind,
            "periods": figures.period_switch(kind),
            "sort": sort,
            "descending": descending,
            "columns": [
                {
                    "key": key,
                    "label": label,
                    "current": key == sort,
                    # A second click on the sorted column turns the order around.
                    "order": ("asc" if descending else "desc")
                    if key == sort
                    else ("asc" if key == "name" else "desc"),
                }
                for key, label in columns
            ],
        },
    )


@require_safe
@login_required
@roles.allowed_if(roles.can_compare_teams)
def compare(request):
    """Management compares departments, then a department's teams, then opens a team's page
    with its comments."""
    organisation = request.user.organisation
    kind = figures.chosen_kind(request.GET.get("period"))
    department_slug = request.GET.get("department", "")
    comparison = figures.compare(organisation, kind, department_slug)
    if comparison is None:
        raise Http404
    context = {
        "comparison": comparison,
        "kind": kind,
        "periods": figures.period_switch(kind),
        "department_slug": department_slug,
    }
    return render(request, "dashboards/compare.html", context)
