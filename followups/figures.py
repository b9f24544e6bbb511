"""Follow-through, open to everyone: how often and how fast each team (and the organisation)
closed the loop. Computed from the follow-ups themselves in one counted query per call: they
are few (a handful a day per team), so no rollup is needed.

- *closed on time*: of the follow-ups already due (or finished), the share closed (reached or
  "could not reach") on or before their due day; 95% Wilson interval.
- *time to close*: median days from opening to closing of the finished ones; its 95% interval
  is distribution-free, between two order statistics of the binomial(n, ½) ranks.
"""

import datetime as dt
import math
from dataclasses import dataclass
from statistics import median

from django.utils import timezone

from followups.models import DONE_STATES, FollowUp
from kpis.metrics import wilson

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


def follow_through(organisation, today, *, days=WINDOW_DAYS):
    """(the organisation's figures, {team id: the team's figures}) over follow-ups opened in
    the last ``days`` days. One query."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = list(
        FollowUp.objects.filter(organisation=organisation, opened_at__gte=since)
        .order_by()
        .values_list("team_id", "state", "due_on", "closed_on", "opened_at", "closed_at")
    )
    by_team = {}
    for row in rows:
        by_team.setdefault(row[0], []).append(row[1:])
    return (
        _summarise([row[1:] for row in rows], today),
        {team_id: _summarise(team_rows, today) for team_id, team_rows in by_team.items()},
    )
