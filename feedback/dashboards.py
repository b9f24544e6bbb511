"""What the dashboards show: figures from rollups, themes among detractors, the comment feed.

Every page reads rollups for its figures, so its cost does not grow with the number of
responses; the comment feed reads one page of comments through the (team, submitted_at) index.
"""

import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, Sum
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from feedback import kpis, metrics, periods
from feedback.models import CommentMark, MarkKind, Reply, Rollup, ThemeRollup
from programmes import visibility
from programmes.models import Department, Team

PAGE_KINDS = (periods.WEEK, periods.MONTH, periods.QUARTER)
KIND_NAMES = {
    periods.WEEK: (_("Week"), _("This week"), _("last week")),
    periods.MONTH: (_("Month"), _("This month"), _("last month")),
    periods.QUARTER: (_("Quarter"), _("This quarter"), _("last quarter")),
}
FEED_SIZE = 20
CATEGORIES = {
    "detractors": Q(score__lte=metrics.DETRACTOR_MAX),
    "passives": Q(score__gt=metrics.DETRACTOR_MAX, score__lt=metrics.PROMOTER_MIN),
    "promoters": Q(score__gte=metrics.PROMOTER_MIN),
}


def chosen_kind(value) -> str:
    return value if value in PAGE_KINDS else periods.MONTH


def period_switch(kind: str) -> list[dict]:
    return [
        {"kind": each, "label": KIND_NAMES[each][0], "current": each == kind} for each in PAGE_KINDS
    ]


# --- Figures ----------------------------------------------------------------------------------


def figures(organisation, team, kind: str, *, series=None, targets=()) -> dict:
    """Tiles, chart data and themes among detractors for one scope and kind of period."""
    series = series or kpis.series(organisation, team=team, kind=kind, last=kpis.LAST[kind])
    current, previous = series[-1], series[-2]
    _name, this_period, last_period = KIND_NAMES[kind]
    chart = chart_data(series, targets)
    return {
        "kind": kind,
        "series": series,
        "current": current,
        "previous": previous,
        "this_period": this_period,
        "last_period": last_period,
        "chart": chart,
        # In an attribute, escaped like any text: htmx drops <script> elements from what it
        # swaps in (allowScriptTags is off), and no script is ever built from user text.
        "chart_json": json.dumps(chart),
        "themes": detractor_themes(
            organisation, team, kind, current["period_start"], previous["period_start"]
        ),
    }


def chart_data(series, targets=()) -> dict:
    """The numbers a chart needs, as plain JSON (passed with json_script, never as script)."""

    def pick(key, part):
        return [entry[key][part] for entry in series]

    def targets_for(metric):
        return [
            {"value": target["goal"], "label": f"{_('Target')}: {target['goal_label']}"}
            for target in targets
            if target["metric"] == metric and target["goal"] is not None
        ]

    return {
        "labels": [entry["label"] for entry in series],
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
                "targets": targets_for("returning_rate"),
            },
        ],
        "texts": {"interval": str(_("95% interval")), "target": str(_("Target"))},
    }


def detractor_themes(organisation, team, kind, current_start, previous_start, limit=8):
    """Themes in detractors' comments this period beside the last, most mentioned first."""
    rows = ThemeRollup.objects.filter(
        organisation=organisation,
        team=team,
        kind=kind,
        period_start__in=[current_start, previous_start],
        detractor_mentions__gt=0,
    ).select_related("theme")
    themes = {}
    for row in rows:
        entry = themes.setdefault(row.theme_id, {"theme": row.theme, "now": 0, "before": 0})
        entry["now" if row.period_start == current_start else "before"] = row.detractor_mentions
    ranked = sorted(themes.values(), key=lambda e: (-e["now"], -e["before"], e["theme"].name))
    for entry in ranked:
        entry["change"] = entry["now"] - entry["before"]
    return ranked[:limit]


# --- The comment feed -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedFilter:
    category: str = ""
    theme: int | None = None
    q: str = ""
    unread: bool = False
    before: tuple[dt.datetime, int] | None = None

    @classmethod
    def from_query(cls, params, themes) -> "FeedFilter":
        """From a query string; anything unknown or malformed is simply not applied."""
        category = params.get("category", "")
        theme = params.get("theme", "")
        theme_ids = {str(t.pk): t.pk for t in themes}
        return cls(
            category=category if category in CATEGORIES else "",
            theme=theme_ids.get(theme),
            q=params.get("q", "").replace("\x00", "").strip()[:100],
            unread=params.get("unread") == "1",
            before=parse_cursor(params.get("before", "")),
        )

    def query(self, **changes) -> dict:
        """The filter as query parameters (for links that keep it), with ``changes`` applied."""
        values = {
            "category": self.category,
            "theme": self.theme or "",
            "q": self.q,
            "unread": "1" if self.unread else "",
        } | changes
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.category or self.theme or self.q or self.unread)


def cursor(response) -> str:
    return f"{response.submitted_at.isoformat()}~{response.pk}"


def parse_cursor(value: str):
    """(aware moment, id) from ``cursor()``'s text; ``None`` for anything else."""
    moment, _sep, pk = value.partition("~")
    try:
        parsed = parse_datetime(moment) if moment else None
        if parsed is None or parsed.tzinfo is None:
            return None
        parsed = parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    if not pk.isdigit() or len(pk) > 18:  # ids are bigints
        return None
    return parsed, int(pk)


def filtered_comments(user, team, feed: FeedFilter):
    """The team's comments the person may read, with the feed's filters applied."""
    comments = visibility.comments_visible_to(user).filter(team=team)
    if feed.category:
        comments = comments.filter(CATEGORIES[feed.category])
    if feed.theme:
        comments = comments.filter(themes=feed.theme)
    if feed.q:
        comments = comments.filter(comment__icontains=feed.q)
    if feed.unread:
        comments = comments.exclude(
            Exists(
                CommentMark.objects.filter(response=OuterRef("pk"), user=user, kind=MarkKind.READ)
            )
        )
    return comments.order_by("-submitted_at", "-pk")


def comment_feed(user, team, feed: FeedFilter, size=FEED_SIZE):
    """One page of the team's comments the person may read, newest first, and the cursor of
    the next page (``None`` at the end). Four queries, whatever the number of comments."""
    comments = filtered_comments(user, team, feed)
    if feed.before:
        moment, pk = feed.before
        comments = comments.filter(Q(submitted_at__lt=moment) | Q(submitted_at=moment, pk__lt=pk))
    page = list(
        comments.prefetch_related(
            "themes",
            Prefetch("marks", queryset=CommentMark.objects.select_related("user")),
            Prefetch("replies", queryset=Reply.objects.select_related("author")),
        )[: size + 1]
    )
    more = len(page) > size
    page = page[:size]
    for response in page:
        annotate(response, user)
    return page, (cursor(page[-1]) if more else None)


def annotate(response, user):
    """What the feed says about a comment: its category, who read it or acted on it."""
    response.category = metrics.category(response.score) if response.score is not None else ""
    marks = list(response.marks.all())
    response.read_by_me = any(m.user_id == user.pk and m.kind == MarkKind.READ for m in marks)
    response.acted_by_me = any(m.user_id == user.pk and m.kind == MarkKind.ACTED for m in marks)
    response.readers = sum(1 for m in marks if m.kind == MarkKind.READ)
    response.acted_by = [m.user for m in marks if m.kind == MarkKind.ACTED]


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
    all_series = kpis.series_for(organisation, [*teams, None], kind=kind, last=kpis.LAST[kind])
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
        "labels": [entry["label"] for entry in organisation_series],
    }


def compare(organisation, kind, department_slug=""):
    """Departments side by side (their teams' counts added up: NPS and error rate add up over
    teams, distinct customers do not, so departments show no returning rate), or one
    department's teams. ``None`` for an unknown department."""
    starts = kpis.period_starts(organisation, kind, 2)
    teams = Team.objects.in_organisation(organisation).select_related("department")
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
        return result | {"department": department, "label": periods.label(starts[1], kind)}
    fields = ("responses", "promoters", "passives", "detractors", "interactions", "errors")
    sums = (
        Rollup.objects.filter(
            organisation=organisation,
            kind=kind,
            period_start__in=starts,
            team__isnull=False,
        )
        .values("team__department_id", "period_start")
        .annotate(**{field: Sum(field) for field in fields})
    )
    # A department's counts as a rollup row of its own, so the series' one definition of
    # every figure and change applies (customers stay 0: they do not add up over teams).
    added = {
        (row["team__department_id"], row["period_start"]): Rollup(
            kind=kind, period_start=row["period_start"], **{f: row[f] for f in fields}
        )
        for row in sums
    }
    departments = list(Department.objects.filter(organisation=organisation).order_by("name"))
    has_loose_teams = teams.filter(department__isnull=True).exists()
    rows = []
    for department in [*departments, *([None] if has_loose_teams else [])]:
        key = department.pk if department else None
        series = kpis.entries(
            organisation, kind, [added.get((key, start)) for start in starts], starts
        )
        rows.append({"department": department, "current": series[-1]})
    rows.sort(key=lambda row: _sortable(row["current"]["nps"]["value"]), reverse=True)
    rows.sort(key=lambda row: row["current"]["nps"]["value"] is None)
    return {"departments": rows, "department": None, "label": periods.label(starts[1], kind)}
