"""The KPI read API: every figure on every page, in every export and in ``GET /api/v1/kpis``
comes from here, read from the rollups only, so its cost does not grow with the raw rows.

A scope is a team, or the whole organisation (``team=None``). ``Counts`` are what a rollup
row holds; ``figure`` and ``change_between`` turn them into a metric as ``metrics`` defines it.
"""

import dataclasses
import datetime as dt

from django.db.models import Min, Q, Sum

from kpis import metrics
from kpis.counting import COUNT_FIELDS
from kpis.metrics import Metric
from kpis.models import Rollup, ThemeRollup
from organisations import clock


@dataclasses.dataclass(frozen=True)
class Counts:
    """What one scope had in one period (or several, pooled): the counts behind every KPI."""

    responses: int = 0  # with a score
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    comments: int = 0
    interactions: int = 0
    errors: int = 0
    customers: int = 0  # distinct, with an interaction
    returning_customers: int = 0
    invitations: int = 0  # personal invitations made (links) or sent (e-mails)
    answered: int = 0  # of those, answered

    @classmethod
    def of(cls, row) -> "Counts":
        return cls(**{name: getattr(row, name) for name in COUNT_FIELDS})

    def __add__(self, other: "Counts") -> "Counts":
        """Pooled counts; distinct customers add up per period (a customer counts once in each
        period they were served in)."""
        return Counts(*(getattr(self, f) + getattr(other, f) for f in COUNT_FIELDS))


NOTHING = Counts()
LAST = {clock.DAY: 14, clock.WEEK: 13, clock.MONTH: 12, clock.QUARTER: 8}
# A customer "returns" when they were served in the scope before the period began. In a period
# that starts less than this long after the scope's first interaction, a returning customer
# cannot be told from a new one (their earlier visit may predate the history), so its rate is
# not yet known: it would climb from 0 % only because the history starts there.
RETURNING_HISTORY = dt.timedelta(days=91)


def history_starts(organisation, team_ids) -> dict:
    """{team id or None: the first day with a known customer in that scope}, in one query."""
    scope = Q(team_id__in=[team_id for team_id in team_ids if team_id is not None])
    if None in team_ids:
        scope |= Q(team__isnull=True)
    rows = (
        Rollup.objects.filter(scope, organisation=organisation, kind=clock.DAY, customers__gt=0)
        .values("team_id")
        .annotate(first=Min("period_start"))
    )
    return {row["team_id"]: row["first"] for row in rows}


def returning_known(start: dt.date, history_start: dt.date | None) -> bool:
    return history_start is not None and start >= history_start + RETURNING_HISTORY


def counts(organisation, keys) -> dict:
    """{(team id or None, kind, period start): Counts} for the keys asked, in one query; keys
    without a row are absent (nothing happened there)."""
    keys = set(keys)
    if not keys:
        return {}
    team_ids = {team_id for team_id, _kind, _start in keys if team_id is not None}
    scope = Q(team_id__in=team_ids)
    if any(team_id is None for team_id, _kind, _start in keys):
        scope |= Q(team__isnull=True)
    rows = Rollup.objects.filter(
        scope,
        organisation=organisation,
        kind__in={kind for _team, kind, _start in keys},
        period_start__in={start for _team, _kind, start in keys},
    )
    found = {(row.team_id, row.kind, row.period_start): Counts.of(row) for row in rows}
    return {key: value for key, value in found.items() if key in keys}


def period_starts(organisation, kind, last, until: dt.date | None = None) -> list[dt.date]:
    """The starts of the last ``last`` periods up to and including the one holding ``until``."""
    if kind not in clock.KINDS:
        raise ValueError(kind)
    starts = [clock.period_start(until or clock.local_today(organisation), kind)]
    for _ in range(last - 1):
        starts.append(clock.previous_start(starts[-1], kind))
    starts.reverse()
    return starts


def series(organisation, *, team=None, kind=clock.MONTH, last=12, until: dt.date | None = None):
    """The last ``last`` periods up to and including the one holding ``until`` (today)."""
    return series_for(organisation, [team], kind=kind, last=last, until=until)[team]


def series_for(organisation, teams, *, kind=clock.MONTH, last=12, until=None) -> dict:
    """{team: series} for several teams (``None`` is the whole organisation), in one query."""
    starts = period_starts(organisation, kind, last, until)
    keys = [(team.pk if team else None, kind, start) for team in teams for start in starts]
    found = counts(organisation, keys)
    history = history_starts(organisation, {team.pk if team else None for team in teams})
    return {
        team: entries(
            organisation,
            kind,
            [found.get((team.pk if team else None, kind, start)) for start in starts],
            starts,
            history_start=history.get(team.pk if team else None),
        )
        for team in teams
    }


def department_series(organisation, department_ids, *, kind, last=2) -> dict:
    """{department id (None: the teams without one): series} of each department's teams'
    counts added up, in one query. NPS and error rate add up over teams; distinct customers do
    not, so a department's customers stay 0 (it shows no returning rate)."""
    starts = period_starts(organisation, kind, last)
    added = ("responses", "promoters", "passives", "detractors", "interactions", "errors")
    sums = (
        Rollup.objects.filter(
            organisation=organisation, kind=kind, period_start__in=starts, team__isnull=False
        )
        .values("team__department_id", "period_start")
        .annotate(**{name: Sum(name) for name in added})
    )
    found = {
        (row["team__department_id"], row["period_start"]): Counts(
            **{name: row[name] for name in added}
        )
        for row in sums
    }
    return {
        department: entries(
            organisation, kind, [found.get((department, start)) for start in starts], starts
        )
        for department in department_ids
    }


def figure_json(estimate: metrics.Estimate) -> dict:
    """A figure with its interval as JSON-ready numbers, rounded for people."""

    def rounded(value):
        return None if value is None else round(value, 1)

    return {
        "value": rounded(estimate.value),
        "low": rounded(estimate.low),
        "high": rounded(estimate.high),
        "n": estimate.n,
        "too_few": estimate.too_few,
    }


def signed_whole(value: float) -> str:
    """A change rounded to a whole number with its sign: "+8", "-3"; "0", never "-0"."""
    whole = round(value)
    return f"{whole:+d}" if whole else "0"


def change_json(change: metrics.Change) -> dict | None:
    """A change between periods with its interval, JSON-ready; None without one."""
    if change.delta is None:
        return None
    return {
        "signed": signed_whole(change.delta),  # for people: "+8", "-3", "0"
        "delta": round(change.delta, 1),
        "low": round(change.low, 1),
        "high": round(change.high, 1),
        "significant": change.significant,
    }


def entries(organisation, kind, rows, starts, *, history_start=None) -> list[dict]:
    """One entry per period from its Counts (``None`` where a period has none yet). The last
    period asked for is the one still running; ``returning_known`` says whether the history
    (from ``history_start``) is long enough to tell returning customers from new ones."""
    result, previous = [], None
    today_start = clock.period_start(clock.local_today(organisation), kind)
    for start, row in zip(starts, rows, strict=True):
        row = row or NOTHING
        result.append(
            {
                "period_start": start,
                "running": start == today_start,
                "returning_known": returning_known(start, history_start),
                "label": clock.label(start, kind),
                "name": clock.period_name(start, kind),
                **dataclasses.asdict(row),
                "nps": figure_json(figure(Metric.NPS, row, organisation.min_responses)),
                "nps_change": None
                if previous is None
                else change_json(change_between(Metric.NPS, previous, row)),
                "error_rate": figure_json(figure(Metric.ERROR_RATE, row, 0)),
                "error_rate_change": None
                if previous is None
                else change_json(change_between(Metric.ERROR_RATE, previous, row)),
                "returning_rate": figure_json(figure(Metric.RETURNING_RATE, row, 0)),
                "returning_rate_change": None
                if previous is None
                else change_json(change_between(Metric.RETURNING_RATE, previous, row)),
                "response_rate": figure_json(metrics.response_rate(row.answered, row.invitations)),
            }
        )
        previous = row
    return result


def figure(metric: str, row: Counts | None, min_responses: int) -> metrics.Estimate:
    """One KPI of one scope and period (or pooled periods), as ``metrics`` defines it."""
    row = row or NOTHING
    if metric == Metric.NPS:
        return metrics.nps(row.promoters, row.passives, row.detractors, min_responses=min_responses)
    if metric == Metric.ERROR_RATE:
        return metrics.error_rate(row.errors, row.interactions)
    return metrics.returning_rate(row.returning_customers, row.customers)


def change_between(metric: str, before: Counts | None, after: Counts | None) -> metrics.Change:
    """The change of a metric from one period to another, with the 95% interval of the
    difference; significant only when it excludes zero (DESIGN.md, "The KPIs")."""
    before, after = before or NOTHING, after or NOTHING
    if metric == Metric.NPS:
        return metrics.nps_change(
            (before.promoters, before.passives, before.detractors),
            (after.promoters, after.passives, after.detractors),
        )
    first, n1 = observations(before, metric)[:2]
    second, n2 = observations(after, metric)[:2]
    return metrics.rate_change(first, n1, second, n2)


def observations(row: Counts, metric: str) -> tuple[int, int, int]:
    """(events, observations, second events) of a metric: (promoters, scores, detractors) for
    NPS, (errors, interactions, 0) and (returning, customers, 0) for the rates."""
    if metric == Metric.NPS:
        return row.promoters, row.responses, row.detractors
    if metric == Metric.ERROR_RATE:
        return row.errors, row.interactions, 0
    return row.returning_customers, row.customers, 0


def spread(metric: str, row: Counts) -> float:
    """The spread of one observation of the metric, in points (σ of DESIGN.md's detectable
    change)."""
    events, n, detractors = observations(row, metric)
    if n == 0:
        return 0.0
    if metric == Metric.NPS:
        return metrics.nps_spread(events, detractors, n)
    share = events / n
    return 100 * (share * (1 - share)) ** 0.5


def detractor_themes(organisation, team, kind, current_start, previous_start, limit=8):
    """Themes in detractors' comments this period beside the last, most mentioned first:
    [{"theme", "now", "before", "change"}]."""
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
