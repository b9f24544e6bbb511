"""What the dashboards show of the figures: tiles, charts and themes among detractors for a
team or the organisation, the board of every team, and the comparison of departments. All read
through ``kpis.read``, so a page's cost does not grow with the number of responses."""

import json

from django.utils.translation import gettext_lazy as _

from kpis import read
from organisations import clock
from organisations.models import Department, Team

PAGE_KINDS = (clock.WEEK, clock.MONTH, clock.QUARTER)
KIND_NAMES = {
    clock.WEEK: (_("Week"), _("This week"), _("last week")),
    clock.MONTH: (_("Month"), _("This month"), _("last month")),
    clock.QUARTER: (_("Quarter"), _("This quarter"), _("last quarter")),
}


def chosen_kind(value) -> str:
    return value if value in PAGE_KINDS else clock.MONTH


def period_switch(kind: str) -> list[dict]:
    return [
        {"kind": each, "label": KIND_NAMES[each][0], "current": each == kind} for each in PAGE_KINDS
    ]


# --- Figures ----------------------------------------------------------------------------------


def figures(organisation, team, kind: str, *, series=None, targets=()) -> dict:
    """Tiles, chart data and themes among detractors for one scope and kind of period."""
    series = series or read.series(organisation, team=team, kind=kind, last=read.LAST[kind])
    current, previous = series[-1], series[-2]
    _name, this_period, last_period = KIND_NAMES[kind]
    chart = chart_data(series, targets, min_count=organisation.min_responses)
    return {
        "kind": kind,
        "series": series,
        "current": current,
        "previous": previous,
        "this_period": this_period,
        "last_period": last_period,
        "chart": chart,
        "min_count": organisation.min_responses,
        # In an attribute, escaped like any text: htmx drops <script> elements from what it
        # swaps in (allowScriptTags is off), and no script is ever built from user text.
        "chart_json": json.dumps(chart),
        "themes": read.detractor_themes(
            organisation, team, kind, current["period_start"], previous["period_start"]
        ),
    }


def chart_data(series, targets=(), *, min_count=30) -> dict:
    """The numbers a chart needs, as plain JSON (in an attribute, never as script). Periods
    with fewer than ``min_count`` observations are flagged ``too_few`` (drawn hollow), the
    running period is flagged, and a returning rate is left out until it can be known."""

    def pick(key, part):
        return [
            None
            if key == "returning_rate" and part != "n" and not entry["returning_known"]
            else entry[key][part]
            for entry in series
        ]

    def too_few(key):
        return [entry[key]["n"] < min_count for entry in series]

    def targets_for(metric):
        return [
            {"value": target["goal"], "label": f"{_('Target')}: {target['goal_label']}"}
            for target in targets
            if target["metric"] == metric and target["goal"] is not None
        ]

    return {
        "labels": [entry["name"] for entry in series],
        "running": [entry["running"] for entry in series],
        "charts": [
            {
                "id": "nps",
                "title": str(_("NPS")),
                "unit": "",
                "range": [-100, 100],
                "value": pick("nps", "value"),
                "low": pick("nps", "low"),
                "high": pick("nps", "high"),
                "n": pick("nps", "n"),
                "too_few": too_few("nps"),
                "targets": targets_for("nps"),
            },
            {
                "id": "error_rate",
                "title": str(_("Error rate")),
                "unit": "%",
                "range": [0, None],
                "value": pick("error_rate", "value"),
                "low": pick("error_rate", "low"),
                "high": pick("error_rate", "high"),
                "n": pick("error_rate", "n"),
                "too_few": too_few("error_rate"),
                "targets": targets_for("error_rate"),
            },
            {
                "id": "returning",
                "title": str(_("Returning customers")),
                "unit": "%",
                "range": [0, 100],
                "value": pick("returning_rate", "value"),
                "low": pick("returning_rate", "low"),
                "high": pick("returning_rate", "high"),
                "n": pick("returning_rate", "n"),
                "too_few": too_few("returning_rate"),
                "targets": targets_for("returning_rate"),
            },
        ],
        "texts": {
            "interval": str(_("95% interval")),
            "target": str(_("Target")),
            "too_few": str(_("too few to go by")),
            "running": str(_("still running")),
        },
    }


# --- The board and the management view ----------------------------------------------------------

BOARD_SORTS = {
    "name": lambda row: row["team"].name.lower(),
    "nps": lambda row: _sortable(row["current"]["nps"]["value"]),
    "change": lambda row: _sortable((row["current"]["nps_change"] or {}).get("delta")),
    "error_rate": lambda row: _sortable(row["current"]["error_rate"]["value"]),
    "returning": lambda row: _sortable(row["current"]["returning_rate"]["value"]),
    "responses": lambda row: row["current"]["responses"],
}


def _sortable(value):
    # Teams without a figure go last whichever way the column is sorted.
    return (value is None, value if value is not None else 0)


def board(organisation, teams, kind, sort="name", descending=False) -> dict:
    """Every team's figures for the current period with a trend line, and the organisation's.
    One query for all teams' rollups, whatever their number."""
    teams = list(teams)
    all_series = read.series_for(organisation, [*teams, None], kind=kind, last=read.LAST[kind])
    rows = [
        {
            "team": team,
            "current": all_series[team][-1],
            "trend": [entry["nps"]["value"] for entry in all_series[team]],
        }
        for team in teams
    ]
    key = BOARD_SORTS.get(sort, BOARD_SORTS["name"])
    rows.sort(key=key, reverse=descending)
    if sort in BOARD_SORTS and sort not in ("name", "responses"):
        rows.sort(key=lambda row: key(row)[0])  # no figure: last, whichever the direction
    organisation_series = all_series[None]
    trend_values = [
        value for series in all_series.values() for value in (e["nps"]["value"] for e in series)
    ]
    trend_values = [value for value in trend_values if value is not None]
    return {
        # One scale for every sparkline, so that teams' lines can be compared.
        "trend_low": min(trend_values, default=-100) - 5,
        "trend_high": max(trend_values, default=100) + 5,
        "rows": rows,
        "total": {
            "current": organisation_series[-1],
            "trend": [entry["nps"]["value"] for entry in organisation_series],
        },
        "labels": [entry["name"] for entry in organisation_series],
    }


def compare(organisation, kind, department_slug=""):
    """Departments side by side (their teams' counts added up), or one department's teams.
    ``None`` for an unknown department."""
    teams = Team.objects.in_organisation(organisation).select_related("department")
    label = clock.period_name(clock.period_start(clock.local_today(organisation), kind), kind)
    if department_slug:
        if "\x00" in department_slug:
            return None
        department = Department.objects.filter(
            organisation=organisation, slug=department_slug
        ).first()
        if department is None:
            return None
        result = board(
            organisation, teams.filter(department=department), kind, sort="nps", descending=True
        )
        return result | {"department": department, "label": label}
    departments = list(Department.objects.filter(organisation=organisation).order_by("name"))
    if teams.filter(department__isnull=True).exists():
        departments.append(None)
    all_series = read.department_series(
        organisation,
        [department.pk if department else None for department in departments],
        kind=kind,
    )
    rows = [
        {"department": department, "current": all_series[department.pk if department else None][-1]}
        for department in departments
    ]
    rows.sort(key=lambda row: _sortable(row["current"]["nps"]["value"]), reverse=True)
    rows.sort(key=lambda row: row["current"]["nps"]["value"] is None)
    return {"departments": rows, "department": None, "label": label}
