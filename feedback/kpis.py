"""The KPI read API for the rest of the app: series per team or organisation, from rollups only."""

import datetime as dt

from feedback import metrics, periods
from feedback.models import Rollup
from feedback.rollups import local_today


def _figure(estimate: metrics.Estimate) -> dict:
    def rounded(value):
        return None if value is None else round(value, 1)

    return {
        "value": rounded(estimate.value),
        "low": rounded(estimate.low),
        "high": rounded(estimate.high),
        "n": estimate.n,
        "too_few": estimate.too_few,
    }


def _change(change: metrics.Change) -> dict | None:
    if change.delta is None:
        return None
    return {
        "signed": f"{change.delta:+.0f}",  # for people: "+8", "-3"
        "delta": round(change.delta, 1),
        "low": round(change.low, 1),
        "high": round(change.high, 1),
        "significant": change.significant,
    }


def series(organisation, *, team=None, kind=periods.MONTH, last=12, until: dt.date | None = None):
    """The last ``last`` periods up to and including the one holding ``until`` (today)."""
    if kind not in periods.KINDS:
        raise ValueError(kind)
    current = periods.period_start(until or local_today(organisation), kind)
    starts = [current]
    for _ in range(last - 1):
        starts.append(periods.previous_start(starts[-1], kind))
    starts.reverse()
    rows = {
        row.period_start: row
        for row in Rollup.objects.filter(
            organisation=organisation,
            team=team,
            kind=kind,
            period_start__gte=starts[0],
            period_start__lte=starts[-1],
        )
    }
    entries, previous = [], None
    for start in starts:
        row = rows.get(start) or Rollup(kind=kind, period_start=start)
        nps = metrics.nps(
            row.promoters, row.passives, row.detractors, min_responses=organisation.min_responses
        )
        entries.append(
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
                "nps": _figure(nps),
                "nps_change": _change(
                    metrics.nps_change(
                        (previous.promoters, previous.passives, previous.detractors),
                        (row.promoters, row.passives, row.detractors),
                    )
                )
                if previous is not None
                else None,
                "error_rate": _figure(metrics.error_rate(row.errors, row.interactions)),
                "returning_rate": _figure(
                    metrics.returning_rate(row.returning_customers, row.customers)
                ),
            }
        )
        previous = row
    return entries
