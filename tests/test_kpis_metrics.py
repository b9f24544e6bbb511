"""The KPI definitions against hand-worked examples (DESIGN.md, "The KPIs")."""

import math

import pytest

from kpis import metrics


def test_nps_of_a_hand_worked_example():
    # 50 promoters, 30 passives, 20 detractors: NPS = 100·(50 − 20)/100 = 30.
    # N' = 103, p = 50.75/103 = 0.492718, d = 20.75/103 = 0.201456,
    # centre = 100·(p − d) = 29.1262, half = 100·1.96·√((p + d − (p − d)²)/N')
    #        = 100·1.96·√((0.694175 − 0.084834)/103) = 100·1.96·0.076915 = 15.075.
    estimate = metrics.nps(50, 30, 20)
    assert estimate.value == 30
    assert estimate.low == pytest.approx(29.1262 - 15.0753, abs=0.01)
    assert estimate.high == pytest.approx(29.1262 + 15.0753, abs=0.01)
    assert estimate.n == 100 and not estimate.too_few


def test_nps_counts_only_scored_responses_and_marks_too_few():
    estimate = metrics.nps(3, 0, 1)
    assert estimate.value == 50 and estimate.n == 4 and estimate.too_few
    assert metrics.nps(0, 0, 0).value is None
    assert not metrics.nps(3, 0, 1, min_responses=4).too_few


def test_nps_interval_stays_within_minus_and_plus_hundred():
    assert metrics.nps(5, 0, 0).high == 100
    assert metrics.nps(0, 0, 5).low == -100


def test_the_spread_of_one_response_is_about_75_points_at_typical_shares():
    # 40% promoters, 25% detractors: σ = 100·√(0.65 − 0.0225) = 79.2.
    assert metrics.nps_spread(40, 25, 100) == pytest.approx(79.21, abs=0.01)


def test_detectable_change_matches_the_design_examples():
    # σ = 75: "+8" needs about 670 responses per period; the formula's inverse gives 676.
    assert metrics.detectable_change(75, 675) == pytest.approx(8.0, abs=0.01)
    assert metrics.responses_needed(75, 8) == 676
    assert metrics.detectable_change(75, 0) is None


def test_a_change_is_significant_only_when_its_interval_excludes_zero():
    small = metrics.nps_change((40, 35, 25), (42, 35, 23))
    assert small.delta == pytest.approx(4.0) and not small.significant
    assert small.low < 0 < small.high
    large = metrics.nps_change((400, 350, 250), (600, 300, 100))
    assert large.delta == pytest.approx(35.0) and large.significant and large.low > 0
    assert metrics.nps_change((0, 0, 0), (1, 0, 0)).delta is None


def test_wilson_interval_of_a_hand_worked_example():
    # 10 errors in 100: centre = (0.1 + 1.9208/100)/(1.038415) = 0.114798,
    # half = 1.96·√(0.0009 + 0.00009604)/1.038415 = 0.059577 → [5.52%, 17.44%].
    rate = metrics.error_rate(10, 100)
    assert rate.value == 10
    assert rate.low == pytest.approx(5.52, abs=0.01)
    assert rate.high == pytest.approx(17.44, abs=0.01)
    assert metrics.error_rate(0, 0).value is None
    assert metrics.error_rate(0, 50).low == pytest.approx(0, abs=1e-9)


def test_returning_rate():
    rate = metrics.returning_rate(25, 100)
    assert rate.value == 25 and rate.low < 25 < rate.high
    assert metrics.returning_rate(0, 0).value is None


def test_margin_is_half_the_interval():
    estimate = metrics.nps(50, 30, 20)
    assert estimate.margin == pytest.approx(15.075, abs=0.01)
    assert math.isclose(estimate.high - estimate.low, 2 * estimate.margin)
