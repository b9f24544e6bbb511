"""Did the idea help? The team's figure in the full periods before the idea was accepted (or
started) against the full periods after it was done, with the interval of the change.

Read through ``kpis.read`` (one query), like every figure on the site: the metric of the
idea's target in the target's period (months or quarters), or NPS per month without a target.
Several periods on each side are pooled by adding their counts; for the returning-customer
rate that counts a customer once per period.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.utils import formats

from kpis import metrics, read
from kpis.metrics import Metric
from organisations import clock

WINDOW = 3  # full periods on each side, at most


@dataclass
class BeforeAfter:
    metric: str
    kind: str
    before_starts: list
    after_starts: list
    before: metrics.Estimate
    after: metrics.Estimate | None
    change: metrics.Change | None

    @property
    def is_rate(self):
        return self.metric != Metric.NPS

    @property
    def metric_label(self):
        return Metric(self.metric).label

    @property
    def before_label(self):
        return _span_label(self.before_starts, self.kind)

    @property
    def after_label(self):
        return _span_label(self.after_starts, self.kind)

    @property
    def change_text(self) -> tuple[str, str, str]:
        """The change and its interval, signed, in the reader's language."""
        places = 1 if self.is_rate else 0

        def signed(value):
            text = formats.number_format(round(value, places), places)
            return f"+{text}" if round(value, places) > 0 else text

        return signed(self.change.delta), signed(self.change.low), signed(self.change.high)

    @property
    def waiting(self) -> bool:
        """Done, but no full period after it has ended yet."""
        return not self.after_starts


def _span_label(starts, kind) -> str:
    if not starts:
        return ""
    first, last = clock.period_name(starts[0], kind), clock.period_name(starts[-1], kind)
    return first if first == last else f"{first} – {last}"


def _local_date(moment: dt.datetime, organisation) -> dt.date:
    return moment.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def windows(organisation, kind, began: dt.date, done: dt.date, today: dt.date):
    """The full periods before the one in which work began, and the full periods after the
    one in which it was done that have ended by today; up to WINDOW of each."""
    before, start = [], clock.period_start(began, kind)
    for _i in range(WINDOW):
        start = clock.previous_start(start, kind)
        before.append(start)
    before.reverse()
    after, start = [], clock.next_start(clock.period_start(done, kind), kind)
    current = clock.period_start(today, kind)
    while start < current and len(after) < WINDOW:
        after.append(start)
        start = clock.next_start(start, kind)
    return before, after


def before_after(idea, today: dt.date | None = None) -> BeforeAfter | None:
    """The figures around a done idea; None for an idea that is not done."""
    if idea.done_at is None:
        return None
    organisation = idea.organisation
    target = idea.target
    metric = target.metric if target is not None else Metric.NPS
    kind = target.period if target is not None else clock.MONTH
    began_at = min(moment for moment in (idea.accepted_at, idea.started_at, idea.done_at) if moment)
    before_starts, after_starts = windows(
        organisation,
        kind,
        _local_date(began_at, organisation),
        _local_date(idea.done_at, organisation),
        today or clock.local_today(organisation),
    )
    found = read.counts(
        organisation, [(idea.team_id, kind, start) for start in before_starts + after_starts]
    )

    def pooled(starts):
        return sum(
            (found.get((idea.team_id, kind, start), read.NOTHING) for start in starts), read.NOTHING
        )

    before = pooled(before_starts)
    result = BeforeAfter(
        metric=metric,
        kind=kind,
        before_starts=before_starts,
        after_starts=after_starts,
        before=read.figure(metric, before, organisation.min_responses),
        after=None,
        change=None,
    )
    if after_starts:
        after = pooled(after_starts)
        result.after = read.figure(metric, after, organisation.min_responses)
        result.change = read.change_between(metric, before, after)
    return result
