"""Sizing invitations to a team's targets: how many answers each active NPS target needs to
be told from noise within its period (DESIGN.md's detectable change, 80% power), at the team's
response rate how many invitations a week that takes, against the contacts it has; written
down on the team's sampling (``feedback.Sampling``) as the share of contacts to invite.

Reads the targets here and the figures through ``kpis.read`` only.
"""

import math
from dataclasses import asdict, dataclass

from django.utils import timezone

from feedback.models import Sampling
from kpis import metrics, read
from kpis.metrics import Metric
from organisations import clock
from programmes.models import GoalKind, Target

WEEKS_IN = {clock.MONTH: 52 / 12, clock.QUARTER: 13.0}
DEFAULT_RESPONSE_RATE = 0.15  # until a team or its organisation has its own
OWN_RATE_FROM = 30  # invitations before a response rate of one's own is used
DEFAULT_SIGMA = 75.0  # the spread of one NPS answer at typical shares, in points
HISTORY_MONTHS = 3


@dataclass(frozen=True)
class Need:
    """One target's need: answers per period and per week, invitations per week."""

    target_id: int
    change: float
    period: str
    answers_per_period: int
    answers_per_week: float
    invitations_per_week: int


def need_for(target_id, *, change, period, sigma, response_rate) -> Need | None:
    """The hand-workable core: answers per period = ⌈2·((1.96 + 0.84)·σ/Δ)²⌉, spread over the
    period's weeks, divided by the response rate."""
    answers = metrics.answers_needed(sigma, abs(change))
    if answers is None or response_rate <= 0:
        return None
    per_week = answers / WEEKS_IN[period]
    return Need(
        target_id=target_id,
        change=abs(change),
        period=period,
        answers_per_period=answers,
        answers_per_week=per_week,
        invitations_per_week=math.ceil(per_week / response_rate),
    )


@dataclass
class Sizing:
    needs: list
    response_rate: float
    rate_source: str  # "team", "organisation" or "default"
    contacts_per_week: float
    sigma: float

    @property
    def invitations_per_week(self) -> int:
        return max((need.invitations_per_week for need in self.needs), default=0)

    @property
    def share(self) -> float | None:
        """The share of contacts to invite (at most all); None without a target to size to."""
        if not self.needs:
            return None
        if self.contacts_per_week <= 0:
            return 1.0
        return min(1.0, self.invitations_per_week / self.contacts_per_week)

    def as_json(self) -> dict:
        return {
            "needs": [asdict(need) for need in self.needs],
            "response_rate": self.response_rate,
            "rate_source": self.rate_source,
            "contacts_per_week": self.contacts_per_week,
            "sigma": self.sigma,
            "invitations_per_week": self.invitations_per_week,
            "share": self.share,
        }


def _months(organisation, today):
    start = clock.period_start(today, clock.MONTH)
    starts = []
    for _i in range(HISTORY_MONTHS):
        start = clock.previous_start(start, clock.MONTH)
        starts.append(start)
    return starts


def size(team, today=None) -> Sizing:
    """The team's sizing from its active NPS targets and the last three complete months."""
    organisation = team.organisation
    today = today or clock.local_today(organisation)
    starts = _months(organisation, today)
    keys = [(scope, clock.MONTH, start) for scope in (team.pk, None) for start in starts]
    found = read.counts(organisation, keys)
    own = sum((found.get((team.pk, clock.MONTH, s), read.NOTHING) for s in starts), read.NOTHING)
    whole = sum((found.get((None, clock.MONTH, s), read.NOTHING) for s in starts), read.NOTHING)
    if own.invitations >= OWN_RATE_FROM:
        rate, source = own.answered / own.invitations, "team"
    elif whole.invitations >= OWN_RATE_FROM:
        rate, source = whole.answered / whole.invitations, "organisation"
    else:
        rate, source = DEFAULT_RESPONSE_RATE, "default"
    sigma = read.spread(Metric.NPS, own) if own.responses else DEFAULT_SIGMA
    days = (clock.next_start(starts[0], clock.MONTH) - starts[-1]).days
    contacts_per_week = own.interactions / (days / 7)
    targets = Target.objects.for_team(team).filter(metric=Metric.NPS, due_on__gte=today)
    needs = []
    for target in targets:
        change = _change_asked(organisation, team, target)
        if change:
            need = need_for(
                target.pk, change=change, period=target.period, sigma=sigma, response_rate=rate
            )
            if need is not None:
                needs.append(need)
    return Sizing(needs, rate, source, contacts_per_week, sigma)


def _change_asked(organisation, team, target) -> float | None:
    if target.goal_kind == GoalKind.CHANGE:
        return abs(target.goal_amount)
    found = read.counts(organisation, [(team.pk, target.period, target.baseline_start)])
    baseline = read.figure(
        Metric.NPS, found.get((team.pk, target.period, target.baseline_start)), 0
    ).value
    return None if baseline is None else abs(target.goal_amount - baseline)


def write_down(team, today=None) -> Sizing:
    """Size the team and store the share on its sampling (used when it invites ``sized``)."""
    sizing = size(team, today)
    Sampling.objects.update_or_create(
        team=team,
        defaults={
            "sized_share": sizing.share,
            "sizing": sizing.as_json(),
            "sized_at": timezone.now(),
        },
    )
    return sizing


def size_sized_teams(organisation=None) -> int:
    """Re-size every team that invites as its targets need (beat, daily)."""
    samplings = Sampling.objects.filter(mode=Sampling.Mode.SIZED).select_related(
        "team__organisation"
    )
    if organisation is not None:
        samplings = samplings.filter(team__organisation=organisation)
    for sampling in samplings:
        write_down(sampling.team)
    return len(samplings)


__all__ = ["Need", "Sizing", "need_for", "size", "size_sized_teams", "write_down"]
