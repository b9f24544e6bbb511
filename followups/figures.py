"""Follow-through, open to everyone: how often and how fast each team (and the organisation)
closed the loop, by the day each follow-up was due. Computed from the follow-ups themselves,
one counted query per call: they are few (a handful a day per team), so no rollup is needed.

- *closed on time*: of the follow-ups already due (or finished), the share closed (reached or
  "could not reach") on or before their due day; 95% Wilson interval.
- *time to close*: median days from opening to closing of the finished ones; its 95% interval
  is distribution-free, between two order statistics of the binomial(n, ½) ranks.
"""

import datetime as dt
import math
from dataclasses import dataclass
from statistics import median

from followups.models import DONE_STATES, FollowUp
from kpis.metrics import wilson
from organisations import clock

WINDOW_DAYS = 90


@dataclass
class FollowThrough:
    n_due: int = 0
    on_time: int = 0
    on_time_share: float | None = None  # in %
    on_time_low: float | None = None
    on_time_high: float | None = None
    n_closed: int = 0
    median_days: float | None = None
    median_low: float | None = None
    median_high: float | None = None
    open: int = 0
    overdue: int = 0


def median_interval(values: list[float]) -> tuple[float | None, float | None]:
    """95% interval of the median: the order statistics x(j) and x(k) with j, k the
    binomial(n, ½) quantiles around n/2 (exact; needs n ≥ 6 to be narrower than the range)."""
    n = len(values)
    if n == 0:
        return None, None
    ordered = sorted(values)
    cumulative, total = [], 0.0
    for i in range(n + 1):
        total += math.comb(n, i) / 2**n
        cumulative.append(total)
    low = next((i for i in range(n + 1) if cumulative[i] > 0.025), 0)
    high = next((i for i in range(n + 1) if cumulative[i] >= 0.975), n)
    # P(B < j) ≤ 2.5% and P(B ≥ k) ≤ 2.5%  →  [x(j), x(k)] with 1-based ranks j = low, k = high+1
    return ordered[max(low - 1, 0)], ordered[min(high, n - 1)]


def _summarise(rows, today) -> FollowThrough:
    figures = FollowThrough()
    durations = []
    for state, due_on, closed_on, opened_at, closed_at in rows:
        finished = state in DONE_STATES
        if not finished:
            figures.open += 1
            if due_on < today:
                figures.overdue += 1
        if finished or due_on < today:
            figures.n_due += 1
            if finished and closed_on <= due_on:
                figures.on_time += 1
        if finished:
            durations.append((closed_at - opened_at).total_seconds() / 86400)
    if figures.n_due:
        figures.on_time_share = round(100 * figures.on_time / figures.n_due, 1)
        low, high = wilson(figures.on_time, figures.n_due)
        figures.on_time_low, figures.on_time_high = round(100 * low, 1), round(100 * high, 1)
    figures.n_closed = len(durations)
    if durations:
        figures.median_days = round(median(durations), 1)
        low, high = median_interval(durations)
        figures.median_low, figures.median_high = round(low, 1), round(high, 1)
    return figures


FIELDS = ("team_id", "state", "due_on", "closed_on", "opened_at", "closed_at")


def follow_through(organisation, today, *, days=WINDOW_DAYS):
    """(the organisation's figures, {team id: the team's figures}) over the follow-ups due in
    the last ``days`` days (and those due later but finished already). One query."""
    rows = list(
        FollowUp.objects.filter(organisation=organisation, due_on__gte=today - dt.timedelta(days))
        .order_by()
        .values_list(*FIELDS)
    )
    by_team = {}
    for row in rows:
        by_team.setdefault(row[0], []).append(row[1:])
    return (
        _summarise([row[1:] for row in rows], today),
        {team_id: _summarise(team_rows, today) for team_id, team_rows in by_team.items()},
    )


def by_period(organisation, team, kind, starts, today) -> dict:
    """{period start: figures} of the follow-ups due in each period, of a team (or the whole
    organisation with ``team`` None). One query."""
    if not starts:
        return {}
    end = clock.next_start(starts[-1], kind)
    found = FollowUp.objects.filter(
        organisation=organisation, due_on__gte=starts[0], due_on__lt=end
    )
    if team is not None:
        found = found.filter(team=team)
    grouped = {start: [] for start in starts}
    for row in found.order_by().values_list(*FIELDS):
        start = clock.period_start(row[2], kind)
        if start in grouped:
            grouped[start].append(row[1:])
    return {start: _summarise(rows, today) for start, rows in grouped.items()}
