"""Downloads: a team's figures or comments, and the board's figures, as CSV or Excel."""

import zoneinfo

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from dashboards import exports, feed, figures
from dashboards.models import CommentMark
from feedback.models import Theme
from kpis import read
from organisations import audit, roles


@require_safe
@login_required
@roles.member_required
def team_export(request, slug, what, fmt):
    """The team's KPI series (anyone who may open the team page) or its comments (those who
    may read them), as CSV or XLSX."""
    team = roles.get_team_page_or_404(request.user, slug)
    organisation = team.organisation
    if what == "kpis":
        kind = request.GET.get("period")
        kind = kind if kind in read.LAST else figures.chosen_kind(kind)
        series = read.series(organisation, team=team, kind=kind, last=read.LAST[kind] * 2)
        header, rows = exports.kpi_columns(), exports.kpi_rows(team.name, series)
        filename, title = f"{team.slug}-kpis-{kind}", _("Figures")
    elif what == "comments":
        if not roles.can_see_team_comments(request.user, team):
            raise Http404
        themes = list(Theme.objects.filter(organisation=organisation))
        chosen = feed.FeedFilter.from_query(request.GET, themes)
        comments = feed.filtered_comments(request.user, team, chosen).prefetch_related(
            "themes", Prefetch("marks", queryset=CommentMark.objects.select_related("user"))
        )
        zone = zoneinfo.ZoneInfo(organisation.time_zone)
        header = exports.comment_columns()
        rows = exports.comment_rows(comments.select_related("team"), zone)
        filename, title = f"{team.slug}-comments", _("Comments")
        audit.record(organisation, request.user, "comments.exported", team.name, format=fmt[:10])
    else:
        raise Http404
    if fmt == "csv":
        return exports.csv_response(filename, header, rows)
    if fmt == "xlsx":
        return exports.xlsx_response(filename, title, header, rows)
    raise Http404


@require_safe
@login_required
@roles.member_required
def board_export(request, fmt):
    """Every team's KPI series and the organisation's: figures only, like the board."""
    organisation = request.user.organisation
    kind = figures.chosen_kind(request.GET.get("period"))
    teams = list(roles.teams_visible_to(request.user).order_by("name"))
    all_series = read.series_for(organisation, [*teams, None], kind=kind, last=read.LAST[kind])

    def rows():
        for team in teams:
            yield from exports.kpi_rows(team.name, all_series[team])
        yield from exports.kpi_rows(organisation.name, all_series[None])

    filename = f"{organisation.slug}-board-{kind}"
    if fmt == "csv":
        return exports.csv_response(filename, exports.kpi_columns(), rows())
    if fmt == "xlsx":
        return exports.xlsx_response(filename, _("Figures"), exports.kpi_columns(), rows())
    raise Http404
