"""The KPI read API for the rest of the app: series per team or organisation, from rollups only."""

import datetime as dt

from django.db.models import Q

from feedback import metrics, periods
from feedback.models import Rollup
from feedback.rollups import local_today


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


def change_json(change: metrics.Change) -> dict | None:
    """A change between periods with its interval, JSON-ready; None without one."""
    if change.delta is None:
        return None
    return {
        "signed": f"{change.delta:+.0f}",  # for people: "+8", "-3"
        "delta": round(change.delta, 1),
        "low": round(change.low, 1),
        "high": round(change.high, 1),
        "significant": change.significant,
    }


LAST = {periods.DAY: 14, periods.WEEK: 13, periods.MONTH: 12, periods.QUARTER: 8}


def period_starts(organisation, kind, last, until: dt.date | None = None) -> list[dt.date]:
    """The starts of the last ``last`` periods up to and including the one holding ``until``."""
    if kind not in periods.KINDS:
        raise ValueError(kind)
    starts = [periods.period_start(until or local_today(organisation), kind)]
    for _ in range(last - 1):
        starts.append(periods.previous_start(starts[-1], kind))
    starts.reverse()
    return starts


def series(organisation, *, team=None, kind=periods.MONTH, last=12, until: dt.date | None = None):
    """The last ``last`` periods up to and including the one holding ``until`` (today)."""
    return series_for(organisation, [team], kind=kind, last=last, until=until)[team]


def series_for(organisation, teams, *, kind=periods.MONTH, last=12, until=None) -> dict:
    """{team: series} for several teams (``None`` is the whole organisation), in one query."""
    starts = period_starts(organisation, kind, last, until)
    team_ids = [team.pk for team in teams if team is not None]
    scope = Q(team_id__in=team_ids)
    if None in teams:
        scope |= Q(team__isnull=True)
    rows = {
        (row.team_id, row.period_start): row
        for row in Rollup.objects.filter(
            scope,
            organisation=organisation,
            kind=kind,
            period_start__gte=starts[0],
            period_start__lte=starts[-1],
        )
    }
    return {
        team: entries(
            organisation,
            kind,
            [rows.get((team.pk if team else None, start)) for start in starts],
            starts,
        )
        for team in teams
    }


def entries(organisation, kind, rows, starts) -> list[dict]:
    """One entry per period from rollup rows (``None`` where a period has none yet)."""
    result, previous = [], None
    for start, row in zip(starts, rows, strict=True):
        row = row or Rollup(kind=kind, period_start=start)
        nps = metrics.nps(
            row.promoters, row.passives, row.detractors, min_responses=organisation.min_responses
        )
        result.append(
            {
                "period_start": start,
                "label": periods.label(start, kind),
                "responses": row.responses,
                "promoters": row.promoters,
                "passives": row.passives,
                "detractors": row.detractors,
                "comments": row.comments,
                "interactions": row.interactions,
                "errors": row.errors,
                "customers": row.customers,
                "returning_customers": row.returning_customers,
                "nps": figure_json(nps),
                "nps_change": change_json(
                    metrics.nps_change(
                        (previous.promoters, previous.passives, previous.detractors),
                        (row.promoters, row.passives, row.detractors),
                    )
                )
                if previous is not None
                else None,
                "error_rate": figure_json(metrics.error_rate(row.errors, row.interactions)),
                "error_rate_change": change_json(
                    metrics.rate_change(
                        previous.errors, previous.interactions, row.errors, row.interactions
                    )
                )
                if previous is not None
                else None,
                "returning_rate": figure_json(
                    metrics.returning_rate(row.returning_customers, row.customers)
                ),
                "returning_rate_change": change_json(
                    metrics.rate_change(
                        previous.returning_customers,
                        previous.customers,
                        row.returning_customers,
                        row.customers,
                    )
                )
                if previous is not None
                else None,
            }
        )
        previous = row
    return result
