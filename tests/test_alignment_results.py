"""Alignment figures against examples worked out by hand: the gap per value, the needs and
motivation profiles, the change since the previous survey, and the results page."""

import datetime

import pytest
from django.urls import reverse

from alignment import results
from tests.alignment_data import answer, close, open_survey, values

# Team Alpha, five people: importance 5 4 5 3 4 (mean 4.2), lived 3 2 4 3 2 (mean 2.8): gap 1.4.
ALPHA = [(5, 3), (4, 2), (5, 4), (3, 3), (4, 2)]
ALPHA_ENERGY = [1, 2, 2, 3, 2]  # mean 2.0
# Team Beta, five people: importance 4 throughout (4.0), lived 4 5 4 4 3 (4.0): gap 0.0.
BETA = [(4, 4), (4, 5), (4, 4), (4, 4), (4, 3)]
BETA_ENERGY = [4, 4, 4, 4, 4]  # mean 4.0
# Together (Service = the organisation): importance 41/10 = 4.1, lived 34/10 = 3.4: gap 0.7.


@pytest.fixture
def survey(org):
    (customer_first,) = values(org.organisation, "Customer first")
    survey = open_survey(org.organisation)
    for pair, energy in zip(ALPHA, ALPHA_ENERGY, strict=True):
        answer(survey, org.team_a, {customer_first: pair}, energy=energy, autonomy=5)
    for pair, energy in zip(BETA, BETA_ENERGY, strict=True):
        answer(survey, org.team_b, {customer_first: pair}, energy=energy, autonomy=2)
    survey.customer_first = customer_first
    return close(survey)


def test_gap_is_mean_importance_minus_mean_lived_per_team_department_and_organisation(org, survey):
    result = results.results(survey)
    value = survey.customer_first.pk
    alpha = result.figures[f"team:{org.team_a.pk}"].values[value]
    beta = result.figures[f"team:{org.team_b.pk}"].values[value]
    service = result.figures[f"department:{org.team_a.department_id}"].values[value]
    whole = result.figures["organisation"].values[value]
    assert (alpha.importance, alpha.lived, alpha.gap) == pytest.approx((4.2, 2.8, 1.4))
    assert (beta.importance, beta.lived, beta.gap) == pytest.approx((4.0, 4.0, 0.0))
    assert (service.importance, service.lived, service.gap) == pytest.approx((4.1, 3.4, 0.7))
    assert (whole.importance, whole.lived, whole.gap) == pytest.approx((4.1, 3.4, 0.7))


def test_gap_of_raw_answers():
    assert results.gap([5, 4, 5, 3, 4], [3, 2, 4, 3, 2]) == pytest.approx(1.4)
    assert results.gap([2, 2], [4, 5]) == pytest.approx(-2.5)


@pytest.mark.parametrize(
    ("gap", "css"),
    [(-0.5, "gap-below"), (0.0, "gap-0"), (0.25, "gap-0"), (0.7, "gap-1"), (1.0, "gap-2"),
     (1.4, "gap-3")],
)  # fmt: skip
def test_heatmap_colour_follows_the_size_of_the_gap(gap, css):
    assert results.gap_class(gap) == css


def test_needs_and_motivation_profiles_are_means_per_group(org, survey):
    result = results.results(survey)
    alpha = result.figures[f"team:{org.team_a.pk}"].scores
    beta = result.figures[f"team:{org.team_b.pk}"].scores
    whole = result.figures["organisation"].scores
    assert (alpha["energy"], beta["energy"], whole["energy"]) == pytest.approx((2.0, 4.0, 3.0))
    assert (alpha["autonomy"], beta["autonomy"], whole["autonomy"]) == pytest.approx((5, 2, 3.5))
    assert alpha["identity"] == 3
    assert [results.score_class(x) for x in (2.0, 3.0, 4.0)] == [
        "score-low",
        "score-mid",
        "score-high",
    ]


def test_change_since_the_previous_survey_per_group(org, survey):
    value = survey.customer_first
    later = open_survey(org.organisation, title="Round 2", days_ago=2)
    for _ in range(5):  # Alpha now: importance 5, lived 5: gap 0, from 1.4
        answer(later, org.team_a, {value: (5, 5)}, energy=4)
    for _ in range(5):  # Beta now: importance 5, lived 3: gap 2, from 0
        answer(later, org.team_b, {value: (5, 3)}, energy=4)
    result = results.results(close(later))
    assert result.previous.survey == survey
    alpha = result.change(f"team:{org.team_a.pk}")
    assert alpha.values[value.pk].gap == pytest.approx(-1.4)
    assert alpha.scores["energy"] == pytest.approx(2.0)
    assert result.change(f"team:{org.team_b.pk}").values[value.pk].gap == pytest.approx(2.0)
    assert result.change("organisation").values[value.pk].gap == pytest.approx(0.3)


def test_no_change_is_shown_for_a_group_hidden_in_either_survey(org, survey):
    value = survey.customer_first
    later = open_survey(org.organisation, title="Round 2", days_ago=2)
    for _ in range(5):
        answer(later, org.team_a, {value: (5, 5)})
        answer(later, org.team_c, {value: (5, 5)})  # Gamma: shown now, absent before
    result = results.results(close(later))
    assert f"team:{org.team_c.pk}" in result.figures
    assert result.change(f"team:{org.team_c.pk}") is None


def test_results_page_shows_the_heatmap_with_colour_classes(login, org, survey):
    page = login(org.hr).get(reverse("alignment:survey", args=[survey.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="heat gap-3"' in html and "+1.4" in html  # Alpha
    assert 'class="heat gap-1"' in html and "+0.7" in html  # Service and the organisation
    assert "4.1 / 3.4" in html
    assert 'class="heat score-low"' in html  # Alpha's energy
    assert "style=" not in html


def test_results_page_in_dutch_uses_a_decimal_comma(org, survey):
    from django.test import Client

    client = Client(headers={"accept-language": "nl"})
    client.force_login(org.manager)
    html = client.get(reverse("alignment:survey", args=[survey.pk])).content.decode()
    assert "+1,4" in html and "4,1 / 3,4" in html


def test_results_page_counts_its_queries(login, org, survey, django_assert_max_num_queries):
    client = login(org.hr)
    with django_assert_max_num_queries(30):
        client.get(reverse("alignment:survey", args=[survey.pk]))


def test_previous_survey_is_the_last_one_closed_before_this_one_opened(org, survey):
    later = open_survey(org.organisation, title="Round 2", days_ago=2)
    assert results.previous_survey(later) == survey
    survey.closed_at = None
    survey.closes_on = later.opens_on + datetime.timedelta(days=30)
    survey.save()
    assert results.previous_survey(later) is None  # still open: no results to compare with
