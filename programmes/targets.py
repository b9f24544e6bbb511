"""Targets read from the KPI engine: baseline, goal, the current value with its interval,
progress, and whether a target is on track; and whether a change can be told from noise.

Every figure comes from ``kpis.read`` (one query for any number of targets), never from raw
rows, so it costs the same at ten thousand and ten million responses. The dictionaries from
``TargetProgress.as_json`` are what the team page and ``GET /api/v1/kpis`` can show.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext as _

from kpis import metrics, read
from kpis.metrics import Metric
from organisations import clock
from programmes.models import GoalKind, Target

RANGES = {Metric.NPS: (-100.0, 100.0), Metric.ERROR_RATE: (0.0, 100.0)}
RANGES[Metric.RETURNING_RATE] = (0.0, 100.0)
LOWER_IS_BETTER = {Metric.ERROR_RATE}
TARGET_PERIODS = (clock.MONTH, clock.QUARTER)
# "Usual volume": the average of this many complete periods before today's.
VOLUME_PERIODS = 3

ON_TRACK, AT_RISK, ACHIEVED, MISSED, NO_DATA = (
    "on_track",
    "at_risk",
    "achieved",
    "missed",
    "no_data",
)
# Reached the goal, but the change since the baseline cannot yet be told from noise.
LOOKS_ACHIEVED = "looks_achieved"


def _figure_json(estimate: metrics.Estimate, start: dt.date, kind: str) -> dict:
    return {
        "period_start": start,
        "label": clock.label(start, kind),
        **read.figure_json(estimate),
    }


def goal_label(metric: str, goal_kind: str, amount: float) -> str:
    """“+8 points”, “-5 percentage points”, “5%”, “40”: the goal as people set it."""
    if goal_kind == GoalKind.CHANGE:
        if metric == Metric.NPS:
            return _("%(amount)s points") % {"amount": f"{amount:+g}"}
        return _("%(amount)s percentage points") % {"amount": f"{amount:+g}"}
    return f"{amount:g}" if metric == Metric.NPS else f"{amount:g}%"


@dataclass
class TargetProgress:
    target: Target
    baseline: metrics.Estimate
    baseline_start: dt.date
    current: metrics.Estimate
    current_start: dt.date
    goal: float | None
    progress: float | None  # 0 at the baseline, 1 at the goal
    expected: float  # the share of the time from the day it was set to the due date passed
    expected_value: float | None
    status: str
    behind_beyond_noise: bool  # the whole interval lies behind where it should be by now
    change: metrics.Change | None = None  # from the baseline to now, with its interval

    @property
    def metric(self):
        return self.target.metric

    @property
    def is_rate(self):
        return self.target.metric != Metric.NPS

    @property
    def goal_label(self):
        return goal_label(self.target.metric, self.target.goal_kind, self.target.goal_amount)

    @property
    def baseline_label(self):
        return clock.period_name(self.baseline_start, self.target.period)

    @property
    def current_label(self):
        return clock.period_name(self.current_start, self.target.period)

    @property
    def change_text(self) -> tuple[str, str, str]:
        """The change since the baseline and its interval, signed and in the reader's
        language: ("+4", "-2", "+10") or ("-1,5", …)."""
        places = 1 if self.is_rate else 0

        def signed(value):
            rounded = round(value, places) + 0.0  # -0.0 + 0.0 is 0.0: never "-0"
            text = formats.number_format(rounded, places)
            return f"+{text}" if rounded > 0 else text

        change = self.change
        return signed(change.delta), signed(change.low), signed(change.high)

    @property
    def progress_percent(self):
        if self.progress is None:
            return 0
        return max(0, min(100, round(100 * self.progress)))

    @property
    def expected_percent(self):
        return round(100 * self.expected)

    @property
    def status_label(self):
        return {
            ON_TRACK: _("On track"),
            AT_RISK: _("At risk"),
            ACHIEVED: _("Achieved"),
            LOOKS_ACHIEVED: _("Looks achieved, still within the noise"),
            MISSED: _("Missed"),
            NO_DATA: _("No figures yet"),
        }[self.status]

    def as_json(self) -> dict:
        target = self.target
        kind = target.period
        return {
            "id": target.pk,
            "team": target.team.slug if target.team_id else None,
            "metric": target.metric,
            "period": kind,
            "what_for": target.what_for,
            "baseline": _figure_json(self.baseline, self.baseline_start, kind),
            "goal": None if self.goal is None else round(self.goal, 1),
            "goal_label": self.goal_label,
            "due_on": target.due_on,
            "current": _figure_json(self.current, self.current_start, kind),
            "change": None if self.change is None else read.change_json(self.change),
            "progress": None if self.progress is None else round(self.progress, 3),
            "expected_progress": round(self.expected, 3),
            "status": self.status,
        }


def targets_in_scope(organisation, team=None, *, all_teams=False):
    targets = Target.objects.in_organisation(organisation).select_related("team", "programme")
    if all_teams:
        return targets
    if team is None:
        return targets.organisation_wide()
    return targets.for_team(team)


def progress(organisation, team=None, *, all_teams=False, targets=None, today=None):
    """Progress of the organisation's own targets (``team=None``), one team's, or all of them
    (``all_teams=True``); or of the given ``targets`` of the organisation."""
    if targets is None:
        targets = targets_in_scope(organisation, team, all_teams=all_teams)
    targets = list(targets)
    today = today or clock.local_today(organisation)
    wanted = set()
    for target in targets:
        current = clock.period_start(today, target.period)
        for start in (
            target.baseline_start,
            current,
            clock.previous_start(current, target.period),
        ):
            wanted.add((target.team_id, target.period, start))
    rows = read.counts(organisation, wanted)
    local_day = clock.local_day(organisation.time_zone)
    return [
        _progress_of(target, rows, organisation.min_responses, today, local_day)
        for target in targets
    ]


def _progress_of(target, rows, min_responses, today, local_day) -> TargetProgress:
    kind, team_id = target.period, target.team_id
    baseline = read.figure(
        target.metric, rows.get((team_id, kind, target.baseline_start)), min_responses
    )
    current_start = clock.period_start(today, kind)
    current = read.figure(target.metric, rows.get((team_id, kind, current_start)), min_responses)
    if current.too_few:  # a period just begun: the last complete one says more
        previous_start = clock.previous_start(current_start, kind)
        previous = read.figure(
            target.metric, rows.get((team_id, kind, previous_start)), min_responses
        )
        if previous.value is not None and previous_start > target.baseline_start:
            current, current_start = previous, previous_start
    goal = target.goal_value(baseline.value)
    change = None
    if current_start > target.baseline_start:
        change = read.change_between(
            target.metric,
            rows.get((team_id, kind, target.baseline_start)),
            rows.get((team_id, kind, current_start)),
        )
    # Expected progress runs from the day the target was set, not from the end of its baseline
    # period: a target set today on a September baseline has had no time yet.
    set_on = set_on_day(target, local_day)
    span = (target.due_on - set_on).days
    expected = 1.0 if span <= 0 else min(1.0, max(0.0, (today - set_on).days / span))
    result = TargetProgress(
        target=target,
        baseline=baseline,
        baseline_start=target.baseline_start,
        current=current,
        current_start=current_start,
        goal=goal,
        progress=None,
        expected=expected,
        expected_value=None,
        status=NO_DATA,
        behind_beyond_noise=False,
        change=change,
    )
    if baseline.value is None or goal is None or goal == baseline.value:
        return result
    result.expected_value = baseline.value + expected * (goal - baseline.value)
    if current.value is None or current_start <= target.baseline_start:
        return result
    result.progress = (current.value - baseline.value) / (goal - baseline.value)
    upwards = goal > baseline.value
    result.status = status_of(
        target,
        baseline=baseline.value,
        current=current.value,
        goal=goal,
        change=change,
        progress=result.progress,
        expected=expected,
        first_period=clock.period_start(today, kind) == clock.period_start(set_on, kind),
        overdue=today > target.due_on,
    )
    if result.status == AT_RISK:
        # Judged by the interval of the change (both periods' uncertainty): behind beyond the
        # noise only when even its best end falls short of where the figure should be by now.
        best = change.high if upwards else change.low
        if best is not None:
            line = result.expected_value - baseline.value
            result.behind_beyond_noise = best < line if upwards else best > line
    return result


def set_on_day(target, local_day) -> dt.date:
    """The organisation's local day on which the target was set (``local_day`` from
    ``clock.local_day``)."""
    if target.created_at is None:  # an unsaved target: as if set when its baseline ended
        return clock.next_start(target.baseline_start, target.period)
    return local_day(target.created_at)


def status_of(
    target, *, baseline, current, goal, change, progress, expected, first_period, overdue
) -> str:
    """DESIGN.md's one rule for labels. Achieved: the figure has reached the goal and the change
        since the baseline is real (its 95% interval excludes zero, in the goal's direction);
        reached but not real: looks achieved, still within the noise. A change target ("NPS +8")
        is reached when the change itself is, and judged by the change's interval, never by the
        current figure's alone. In the period the target was set in, "at risk" only for a real move
    away from the goal, never for being behind schedule."""
    upwards = goal > baseline
    if target.goal_kind == GoalKind.CHANGE and change is not None and change.delta is not None:
        reached = (
            change.delta >= target.goal_amount if upwards else change.delta <= target.goal_amount
        )
    else:
        reached = current >= goal if upwards else current <= goal
    if reached:
        real = (
            change is not None
            and change.low is not None
            and (change.low > 0 if upwards else change.high < 0)
        )
        return ACHIEVED if real else LOOKS_ACHIEVED
    if overdue:
        return MISSED
    if first_period:
        # Too early to be behind schedule; but a real move away from the goal is news now.
        away = (
            change is not None
            and change.low is not None
            and (change.high < 0 if upwards else change.low > 0)
        )
        return AT_RISK if away else ON_TRACK
    if progress >= expected:
        return ON_TRACK
    return AT_RISK


# --- Can the change be told from noise? ----------------------------------------------------------


def baseline_choices(organisation, today=None) -> list[tuple[str, str, list]]:
    """Complete periods a baseline can be read from: the last twelve months and four quarters,
    as (group label, kind, [(value, label)])."""
    today = today or clock.local_today(organisation)
    groups = []
    for kind, count, group in (
        (clock.MONTH, 12, _("Months")),
        (clock.QUARTER, 4, _("Quarters")),
    ):
        start, options = clock.previous_start(clock.period_start(today, kind), kind), []
        for _i in range(count):
            options.append((f"{kind}:{start.isoformat()}", clock.period_name(start, kind)))
            start = clock.previous_start(start, kind)
        groups.append((group, kind, options))
    return groups


def baseline_figure(organisation, team, metric, kind, start) -> metrics.Estimate:
    """The figure of the period a target starts from, for its form."""
    team_id = team.pk if team is not None else None
    found = read.counts(organisation, [(team_id, kind, start)])
    return read.figure(metric, found.get((team_id, kind, start)), organisation.min_responses)


def parse_baseline(value: str) -> tuple[str, dt.date] | None:
    """``"month:2026-10-01"`` → ("month", date); None when it is not a period start."""
    kind, _sep, start = (value or "").partition(":")
    if kind not in TARGET_PERIODS:
        return None
    try:
        day = dt.date.fromisoformat(start)
    except ValueError:
        return None
    if clock.period_start(day, kind) != day:
        return None
    return kind, day


@dataclass
class Detectability:
    metric: str
    period: str
    per_period: float  # observations in a usual period: scores, interactions or customers
    sigma: float  # the spread of one observation, in points
    detectable: float | None  # the smallest change one period can tell from noise
    change: float | None  # the change the target asks for
    needed: int | None  # observations per period that change needs
    detectable_quarter: float | None  # the same per quarter, when the target is per month
    other_metric: str | None  # a metric with more observations, if any

    @property
    def verdict(self) -> str:
        if self.detectable is None:
            return "no_volume"
        if self.change is None:
            return "unknown"
        return "detectable" if self.detectable <= abs(self.change) else "too_small"

    @property
    def quarter_would_do(self) -> bool:
        return self.detectable_quarter is not None and self.detectable_quarter <= abs(self.change)


def detectability(organisation, *, team, metric, period, change, today=None) -> Detectability:
    """From the scope's usual volume and shares (the last complete periods): the smallest change
    one period can tell from noise (DESIGN.md "Detectable change"), and what would help."""
    today = today or clock.local_today(organisation)
    start = clock.period_start(today, period)
    starts = []
    for _i in range(VOLUME_PERIODS):
        start = clock.previous_start(start, period)
        starts.append(start)
    team_id = team.pk if team is not None else None
    found = read.counts(organisation, [(team_id, period, start) for start in starts])
    pooled = sum(found.values(), read.NOTHING)
    per_metric = {}
    for candidate in Metric.values:
        n = read.observations(pooled, candidate)[1]
        per_metric[candidate] = (n / VOLUME_PERIODS, read.spread(candidate, pooled))
    per_period, sigma = per_metric[metric]
    detectable = metrics.detectable_change(sigma, round(per_period)) if per_period >= 1 else None
    needed = None
    if change:
        needed = metrics.responses_needed(sigma, abs(change)) if sigma else 1
    quarter = None
    if period == clock.MONTH and per_period >= 1:
        quarter = metrics.detectable_change(sigma, round(3 * per_period))
    other = max(
        (name for name in Metric.values if name != metric),
        key=lambda name: per_metric[name][0],
    )
    if per_metric[other][0] <= per_period:
        other = None
    return Detectability(
        metric=metric,
        period=period,
        per_period=per_period,
        sigma=sigma,
        detectable=detectable,
        change=change,
        needed=needed,
        detectable_quarter=quarter,
        other_metric=other,
    )
