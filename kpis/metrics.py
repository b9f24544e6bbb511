"""The KPI definitions, in one place (DESIGN.md, "The KPIs"). Pure functions on counts; no ORM.

NPS with its adjusted-Wald 95% interval (Rocks 2016), error rate with a Wilson interval, the
returning-customer rate, the difference between two periods with its interval, and the
smallest change a given volume can tell from noise.
"""

import math
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    """The three KPIs a target can be set on."""

    NPS = "nps", _("NPS")
    ERROR_RATE = "error_rate", _("Error rate")
    RETURNING_RATE = "returning_rate", _("Returning customers")


Z95 = 1.959963984540054
MIN_RESPONSES = 30  # the default; organisations set their own


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval, and how many observations it rests on."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    too_few: bool = False

    @property
    def margin(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


# Promoters score 9–10, passives 7–8, detractors 0–6: rollups (ORM, Python and SQL) all
# count with these two numbers.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def category(score: int) -> str:
    """ "promoters", "passives" or "detractors": the rollup field a score counts in."""
    if score >= PROMOTER_MIN:
        return "promoters"
    if score <= DETRACTOR_MAX:
        return "detractors"
    return "passives"


def nps(promoters: int, passives: int, detractors: int, *, min_responses=MIN_RESPONSES):
    """NPS = 100·(P − D)/N with the adjusted-Wald interval: N' = N + 3, p = (P + ¾)/N',
    d = (D + ¾)/N', centre 100·(p − d), half-width 100·z·√((p + d − (p − d)²)/N')."""
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, None, None, 0, too_few=True)
    value = 100 * (promoters - detractors) / n
    centre, half = _adjusted_wald(promoters, detractors, n)
    low, high = max(-100.0, centre - half), min(100.0, centre + half)
    return Estimate(value, low, high, n, too_few=n < min_responses)


def _adjusted_wald(promoters, detractors, n):
    adjusted = n + 3
    p = (promoters + 0.75) / adjusted
    d = (detractors + 0.75) / adjusted
    spread = p + d - (p - d) ** 2
    return 100 * (p - d), 100 * Z95 * math.sqrt(spread / adjusted)


def nps_spread(promoters: int, detractors: int, n: int) -> float:
    """σ = 100·√(p + d − (p − d)²): the spread of one response, in NPS points."""
    if n == 0:
        return 0.0
    p, d = promoters / n, detractors / n
    return 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0))


def nps_change(before: tuple[int, int, int], after: tuple[int, int, int]):
    """The change in NPS from one period to the next, with the 95% interval of the difference
    (adjusted-Wald variances added); significant only when the interval excludes zero."""
    first, second = nps(*before, min_responses=0), nps(*after, min_responses=0)
    if first.value is None or second.value is None:
        return Change(None, None, None, False)
    c1, h1 = _adjusted_wald(before[0], before[2], first.n)
    c2, h2 = _adjusted_wald(after[0], after[2], second.n)
    half = math.sqrt(h1**2 + h2**2)
    delta = second.value - first.value
    centre = c2 - c1
    low, high = centre - half, centre + half
    return Change(delta, low, high, low > 0 or high < 0)


@dataclass(frozen=True)
class Change:
    delta: float | None
    low: float | None
    high: float | None
    significant: bool


def detectable_change(sigma: float, n_per_period: int) -> float | None:
    """The smallest NPS change between two periods of ``n_per_period`` responses each that the
    95% interval of the difference can tell from zero: 1.96·σ·√(2/n)."""
    if n_per_period <= 0:
        return None
    return Z95 * sigma * math.sqrt(2 / n_per_period)


def responses_needed(sigma: float, change: float) -> int | None:
    """Responses per period for a change of ``change`` points to be detectable: the inverse."""
    if change <= 0:
        return None
    return math.ceil(2 * (Z95 * sigma / change) ** 2)


def wilson(successes: int, n: int) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval for a proportion, as fractions."""
    if n == 0:
        return None, None
    p = successes / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def error_rate(errors: int, interactions: int) -> Estimate:
    """Interactions that went wrong, in %, with a 95% Wilson interval."""
    if interactions == 0:
        return Estimate(None, None, None, 0, too_few=True)
    low, high = wilson(errors, interactions)
    return Estimate(100 * errors / interactions, 100 * low, 100 * high, interactions)


def returning_rate(returning: int, customers: int) -> Estimate:
    """Customers in the period who had been served before it began, in %, with a Wilson
    interval."""
    if customers == 0:
        return Estimate(None, None, None, 0, too_few=True)
    low, high = wilson(returning, customers)
    return Estimate(100 * returning / customers, 100 * low, 100 * high, customers)


def response_rate(answered: int, invitations: int) -> Estimate:
    """Personal invitations answered, in %, with a Wilson interval."""
    if invitations == 0:
        return Estimate(None, None, None, 0, too_few=True)
    low, high = wilson(answered, invitations)
    return Estimate(100 * answered / invitations, 100 * low, 100 * high, invitations)


# 80% power: a true change of the detectable size is seen four times out of five.
Z_POWER80 = 0.8416212335729143


def answers_needed(sigma: float, change: float) -> int | None:
    """Answers per period to tell a change of ``change`` points from noise at 95% confidence
    with 80% power (DESIGN.md's detectable change): 2·((1.96 + 0.84)·σ/Δ)²."""
    if change <= 0 or sigma <= 0:
        return None
    return math.ceil(2 * ((Z95 + Z_POWER80) * sigma / change) ** 2)


def rate_change(events_before: int, n_before: int, events_after: int, n_after: int):
    """The difference of two proportions in percentage points, with Newcombe's hybrid score
    interval (1998, method 10), built from the Wilson intervals of each."""
    if not n_before or not n_after:
        return Change(None, None, None, False)
    p1, p2 = events_before / n_before, events_after / n_after
    l1, u1 = wilson(events_before, n_before)
    l2, u2 = wilson(events_after, n_after)
    delta = p2 - p1
    low = delta - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = delta + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return Change(100 * delta, 100 * low, 100 * high, low > 0 or high < 0)
