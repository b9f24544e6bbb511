"""Targets: baseline and progress read from the rollups, goals checked against the metric's
range, the detectability hint, and who may set which target."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from kpis import metrics
from kpis.metrics import Metric
from kpis.models import Rollup
from programmes import targets
from programmes.forms import TargetForm
from programmes.models import GoalKind, Target

TODAY = dt.date(2026, 11, 15)


def rollup(org, start, team=None, kind="month", **counts):
    if {"promoters", "passives", "detractors"} & counts.keys():
        counts["responses"] = (
            counts.get("promoters", 0) + counts.get("passives", 0) + counts.get("detractors", 0)
        )
    return Rollup.objects.create(
        organisation=org.organisation, team=team, kind=kind, period_start=start, **counts
    )


def target(
    org,
    team=None,
    metric=Metric.NPS,
    kind=GoalKind.CHANGE,
    amount=8,
    set_on=dt.date(2026, 9, 1),
    **extra,
):
    """A target set at noon (Amsterdam) on ``set_on``."""
    values = {
        "organisation": org.organisation,
        "team": team,
        "metric": metric,
        "period": "month",
        "baseline_start": dt.date(2026, 8, 1),
        "goal_kind": kind,
        "goal_amount": amount,
        "due_on": dt.date(2026, 12, 31),
    } | extra
    made = Target.objects.create(**values)
    set_at = dt.datetime.combine(set_on, dt.time(12), tzinfo=ZoneInfo("Europe/Amsterdam"))
    Target.objects.filter(pk=made.pk).update(created_at=set_at)
    made.refresh_from_db()
    return made


def only(org, team=None, **kwargs):
    (result,) = targets.progress(org.organisation, team, today=TODAY, **kwargs)
    return result


def test_progress_reads_baseline_and_current_value_from_the_rollups(org):
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=40, passives=40, detractors=20)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=45, passives=34, detractors=21)
    target(org, org.team_a)  # NPS 20 -> 28
    result = only(org, org.team_a)
    assert result.baseline.value == 20 and result.goal == 28
    # November has no rollup yet, so the last complete month counts.
    assert result.current_start == dt.date(2026, 10, 1) and result.current.value == 24
    assert result.current.low < 24 < result.current.high
    assert result.progress == pytest.approx(0.5)
    # From 1 September to 31 December, 75 of 121 days have passed: behind schedule.
    assert result.expected == pytest.approx(75 / 121)
    assert result.status == targets.AT_RISK
    assert not result.behind_beyond_noise  # 100 scores: the interval still reaches the line


def test_a_target_reached_with_a_real_change_is_achieved(org):
    # NPS 20 -> 30 on a thousand scores each: the change's interval is about +3 to +17.
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=400, passives=400, detractors=200)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=500, passives=300, detractors=200)
    target(org, org.team_a)  # +8
    result = only(org, org.team_a)
    assert result.change.delta == pytest.approx(10) and result.change.low > 0
    assert result.status == targets.ACHIEVED


def test_a_target_reached_within_the_noise_only_looks_achieved(org):
    # The same +10, on a hundred scores each: the change's interval runs from about -12 to +31.
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=40, passives=40, detractors=20)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=50, passives=30, detractors=20)
    target(org, org.team_a)
    result = only(org, org.team_a)
    assert result.change.low < 0 < result.change.high and not result.change.significant
    assert result.status == targets.LOOKS_ACHIEVED
    assert result.status_label == "Looks achieved, still within the noise"


def test_an_absolute_goal_reached_by_a_change_within_the_noise_only_looks_achieved(org):
    # The delivery team: +6 points with an interval from about -10 to +21.
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=30, passives=40, detractors=30)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=36, passives=34, detractors=30)
    target(org, org.team_a, kind=GoalKind.ABSOLUTE, amount=5)  # NPS 0 -> 5
    result = only(org, org.team_a)
    assert result.current.value == pytest.approx(6) and result.goal == 5
    assert result.status == targets.LOOKS_ACHIEVED


def test_a_change_target_is_judged_by_the_interval_of_the_change_not_of_the_figure(org):
    # A baseline of 100 scores, now 10,000: today's figure is tight (30 ± 1.5) and lies well
    # clear of the baseline's 20, but the baseline's own uncertainty (± 15) is in the change too.
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=40, passives=40, detractors=20)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=5000, passives=3000, detractors=2000)
    target(org, org.team_a)  # +8
    result = only(org, org.team_a)
    assert result.current.low > 20  # the figure alone would call it real
    assert result.change.low < 0  # the change cannot be told from noise
    assert result.status == targets.LOOKS_ACHIEVED


def test_a_change_target_on_the_error_rate_is_achieved_when_the_fall_is_real(org):
    rollup(org, dt.date(2026, 8, 1), interactions=10_000, errors=1000)  # 10%
    rollup(org, dt.date(2026, 10, 1), interactions=10_000, errors=400)  # 4%
    target(org, metric=Metric.ERROR_RATE, kind=GoalKind.CHANGE, amount=-5)
    result = only(org)
    assert result.change.delta == pytest.approx(-6) and result.change.high < 0
    assert result.status == targets.ACHIEVED


def test_a_change_target_not_yet_reached_is_not_achieved_though_its_figure_moved(org):
    rollup(org, dt.date(2026, 8, 1), interactions=10_000, errors=1000)  # 10%
    rollup(org, dt.date(2026, 10, 1), interactions=10_000, errors=600)  # 6%: -4 of -5
    target(org, metric=Metric.ERROR_RATE, kind=GoalKind.CHANGE, amount=-5)
    assert only(org).status == targets.ON_TRACK


def test_expected_progress_runs_from_the_day_the_target_was_set(org):
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=40, passives=40, detractors=20)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=40, passives=40, detractors=20)
    made = target(org, org.team_a, set_on=dt.date(2026, 10, 15))
    result = only(org, org.team_a)
    # From 15 October to 31 December, 31 of 77 days have passed (not 75 of 121 from September).
    assert result.expected == pytest.approx(31 / 77)
    assert result.status == targets.AT_RISK  # no progress at all, a month after it was set
    assert targets.set_on_day(made, lambda moment: moment.date()) == dt.date(2026, 10, 15)


def test_a_target_is_not_at_risk_in_the_period_it_was_set_in(org):
    # Set on 10 November on an August baseline; October was no better than August.
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=40, passives=40, detractors=20)
    rollup(org, dt.date(2026, 10, 1), org.team_a, promoters=38, passives=40, detractors=22)
    rollup(org, dt.date(2026, 11, 1), org.team_a, promoters=38, passives=40, detractors=22)
    target(org, org.team_a, set_on=dt.date(2026, 11, 10))
    result = only(org, org.team_a)
    assert result.expected == pytest.approx(5 / 51)
    assert result.status == targets.ON_TRACK
    # The same figures a period later are at risk.
    later = targets.progress(org.organisation, org.team_a, today=dt.date(2026, 12, 5))[0]
    assert later.status == targets.AT_RISK


def test_a_real_move_away_from_the_goal_is_at_risk_even_in_the_first_period(org):
    # Set on 10 November; November's NPS fell from +20 to -40 on thousands of answers: not noise.
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=2000, passives=2000, detractors=1000)
    rollup(org, dt.date(2026, 11, 1), org.team_a, promoters=1000, passives=1000, detractors=3000)
    target(org, org.team_a, set_on=dt.date(2026, 11, 10))
    result = only(org, org.team_a)
    assert result.change.high < 0
    assert result.status == targets.AT_RISK


def test_an_error_rate_going_down_is_progress_and_on_track(org):
    rollup(org, dt.date(2026, 8, 1), interactions=1000, errors=100)
    rollup(org, dt.date(2026, 11, 1), interactions=1000, errors=60)
    target(org, metric=Metric.ERROR_RATE, kind=GoalKind.ABSOLUTE, amount=5)  # 10% -> 5%
    result = only(org)
    assert result.current_start == dt.date(2026, 11, 1)  # enough in this month already
    assert result.goal == 5 and result.progress == pytest.approx(0.8)
    assert result.status == targets.ON_TRACK


def test_far_behind_with_a_tight_interval_is_at_risk_beyond_the_noise(org):
    rollup(org, dt.date(2026, 8, 1), interactions=10_000, errors=1000)
    rollup(org, dt.date(2026, 10, 1), interactions=10_000, errors=1000)
    target(org, metric=Metric.ERROR_RATE, kind=GoalKind.CHANGE, amount=-5)
    result = only(org)
    assert result.status == targets.AT_RISK and result.behind_beyond_noise


def test_a_target_past_its_date_and_not_reached_is_missed(org):
    rollup(org, dt.date(2026, 8, 1), customers=100, returning_customers=40)
    rollup(org, dt.date(2026, 10, 1), customers=100, returning_customers=42)
    target(org, metric=Metric.RETURNING_RATE, amount=10, due_on=dt.date(2026, 11, 1))
    assert only(org).status == targets.MISSED


def test_without_figures_there_is_no_progress_to_show(org):
    target(org, org.team_a)
    result = only(org, org.team_a)
    assert result.status == targets.NO_DATA and result.progress is None


def test_the_scope_is_the_organisation_a_team_or_all(org):
    target(org)
    target(org, org.team_a)
    target(org, org.team_b)
    assert [r.target.team for r in targets.progress(org.organisation, today=TODAY)] == [None]
    assert [r.target.team for r in targets.progress(org.organisation, org.team_b, today=TODAY)] == [
        org.team_b
    ]
    assert len(targets.progress(org.organisation, all_teams=True, today=TODAY)) == 3


def test_progress_of_many_targets_takes_one_query(org, django_assert_num_queries):
    for team in (org.team_a, org.team_b, org.team_c, None):
        for metric in Metric.values:
            target(org, team, metric=metric)
    chosen = list(Target.objects.select_related("team"))
    with django_assert_num_queries(1):
        assert len(targets.progress(org.organisation, targets=chosen, today=TODAY)) == 12


def test_progress_is_ready_for_the_api(org):
    rollup(org, dt.date(2026, 8, 1), org.team_a, promoters=40, passives=40, detractors=20)
    target(org, org.team_a)
    data = only(org, org.team_a).as_json()
    assert data["team"] == "alpha" and data["goal"] == 28 and data["goal_label"] == "+8 points"
    assert data["baseline"]["label"] == "2026-08" and data["baseline"]["n"] == 100
    json.dumps(data, cls=DjangoJSONEncoder)


def test_nothing_of_another_organisation_counts(org):
    Rollup.objects.create(
        organisation=org.other,
        kind="month",
        period_start=dt.date(2026, 8, 1),
        errors=5,
        interactions=10,
    )
    target(org, metric=Metric.ERROR_RATE)
    assert only(org).baseline.value is None


# --- Can the change be told from noise? ---


def three_months(org, team=None, **counts):
    for start in (dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
        rollup(org, start, team, **counts)


def test_a_small_nps_change_cannot_be_told_from_noise_and_the_hint_says_what_would(org):
    three_months(
        org, org.team_a, promoters=50, passives=30, detractors=20, interactions=1000, errors=80
    )
    check = targets.detectability(
        org.organisation, team=org.team_a, metric=Metric.NPS, period="month", change=8, today=TODAY
    )
    assert check.per_period == 100
    assert check.sigma == pytest.approx(78.1, abs=0.1)
    assert check.detectable == pytest.approx(21.6, abs=0.1)  # 1.96 · 78.1 · √(2/100)
    assert check.verdict == "too_small"
    assert check.needed == 733
    assert check.detectable_quarter == pytest.approx(12.5, abs=0.1)
    assert not check.quarter_would_do
    assert check.other_metric == Metric.ERROR_RATE  # 1,000 interactions against 100 scores


def test_a_change_a_quarter_can_detect_suggests_the_quarter(org):
    three_months(org, org.team_a, promoters=50, passives=30, detractors=20)
    check = targets.detectability(
        org.organisation,
        team=org.team_a,
        metric=Metric.NPS,
        period="month",
        change=15,
        today=TODAY,
    )
    assert check.verdict == "too_small" and check.quarter_would_do
    assert check.other_metric is None


def test_a_large_enough_change_is_detectable(org):
    three_months(org, org.team_a, promoters=50, passives=30, detractors=20)
    check = targets.detectability(
        org.organisation,
        team=org.team_a,
        metric=Metric.NPS,
        period="month",
        change=-25,
        today=TODAY,
    )
    assert check.verdict == "detectable"


def test_without_volume_the_hint_cannot_tell(org):
    check = targets.detectability(
        org.organisation,
        team=org.team_b,
        metric=Metric.ERROR_RATE,
        period="month",
        change=2,
        today=TODAY,
    )
    assert check.verdict == "no_volume"


# --- The form ---


def form(org, data, *, teams=None, organisation_allowed=True):
    from organisations.models import Team

    return TargetForm(
        data,
        organisation=org.organisation,
        teams=teams if teams is not None else Team.objects.filter(organisation=org.organisation),
        organisation_allowed=organisation_allowed,
    )


def last_month():
    from organisations import clock

    today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()  # the organisation's day
    return clock.previous_start(clock.period_start(today, "month"), "month")


def data(**extra):
    return {
        "team": "",
        "metric": "nps",
        "baseline": f"month:{last_month().isoformat()}",
        "goal_kind": "change",
        "goal_amount": "8",
        "due_on": (dt.date.today() + dt.timedelta(days=200)).isoformat(),
        "what_for": "",
    } | extra


@pytest.mark.parametrize(
    ("metric", "kind", "amount", "message"),
    [
        ("nps", "absolute", "150", "between -100 and 100"),
        ("nps", "change", "95", "between -100 and 100"),
        ("error_rate", "absolute", "-1", "between 0 and 100"),
        ("returning_rate", "absolute", "101", "between 0 and 100"),
        ("nps", "change", "0", "A change of zero"),
    ],
)
def test_goals_must_lie_within_the_metrics_range(org, metric, kind, amount, message):
    rollup(
        org,
        last_month(),
        promoters=40,
        passives=40,
        detractors=20,
        interactions=100,
        errors=10,
        customers=100,
        returning_customers=40,
    )
    bound = form(org, data(metric=metric, goal_kind=kind, goal_amount=amount))
    assert not bound.is_valid()
    assert message in str(bound.errors["goal_amount"])


def test_a_change_needs_a_baseline_with_figures(org):
    bound = form(org, data())
    assert not bound.is_valid()
    assert "no figures for this period" in str(bound.errors["baseline"])
    assert form(org, data(goal_kind="absolute", goal_amount="30")).is_valid()


def test_the_baseline_is_a_month_or_quarter_start(org):
    bound = form(org, data(baseline="month:2026-08-15"))
    assert not bound.is_valid() and "baseline" in bound.errors
    assert not form(org, data(baseline="year:2026-01-01")).is_valid()


def test_the_due_date_lies_after_the_baseline_period(org):
    rollup(org, last_month(), promoters=40, passives=40, detractors=20)
    bound = form(org, data(due_on=last_month().isoformat()))
    assert not bound.is_valid() and "due_on" in bound.errors


def test_a_valid_target_is_saved_with_its_period(org):
    rollup(org, last_month(), promoters=40, passives=40, detractors=20)
    bound = form(org, data())
    assert bound.is_valid(), bound.errors
    saved = bound.save()
    assert (saved.period, saved.baseline_start, saved.organisation) == (
        "month",
        last_month(),
        org.organisation,
    )


# --- Who sets which target ---


def test_a_team_lead_sets_targets_for_their_own_team_only(login, org):
    client = login(org.lead)
    rollup(org, last_month(), org.team_a, promoters=40, passives=40, detractors=20)
    rollup(org, last_month(), org.team_b, promoters=40, passives=40, detractors=20)
    url = reverse("programmes:target_create")
    assert client.post(url, data(team=org.team_b.pk)).status_code == 400
    assert client.post(url, data(team="")).status_code == 400  # not the whole organisation
    assert not Target.objects.exists()
    response = client.post(url, data(team=org.team_a.pk))
    assert response.status_code == 302
    assert Target.objects.get().team == org.team_a


def test_a_team_lead_cannot_edit_another_teams_or_the_organisations_target(login, org):
    client = login(org.lead)
    own, theirs, shared = target(org, org.team_a), target(org, org.team_b), target(org)
    assert client.get(reverse("programmes:target_edit", args=[own.pk])).status_code == 200
    assert client.get(reverse("programmes:target_edit", args=[theirs.pk])).status_code == 403
    assert client.post(reverse("programmes:target_delete", args=[shared.pk])).status_code == 403
    assert Target.objects.count() == 3


def test_employees_read_every_target_but_set_none(login, org):
    target(org, org.team_b, what_for="Fewer parcels lost")
    client = login(org.employee)
    page = client.get(reverse("programmes:targets")).content.decode()
    assert "Fewer parcels lost" in page and "Beta" in page
    assert reverse("programmes:target_create") not in page
    assert client.post(reverse("programmes:target_create"), data()).status_code == 403


def test_management_sets_organisation_targets(login, org):
    rollup(org, last_month(), promoters=40, passives=40, detractors=20)
    client = login(org.manager)
    assert client.post(reverse("programmes:target_create"), data()).status_code == 302
    assert Target.objects.get().team is None


def test_another_organisations_targets_do_not_exist_for_us(login, org):
    theirs = Target.objects.create(
        organisation=org.other,
        team=org.other_team,
        metric="nps",
        baseline_start="2026-08-01",
        goal_kind="change",
        goal_amount=5,
        due_on="2026-12-31",
        what_for="Elsewhere goal",
    )
    client = login(org.manager)
    assert "Elsewhere goal" not in client.get(reverse("programmes:targets")).content.decode()
    assert client.get(reverse("programmes:target_edit", args=[theirs.pk])).status_code == 404


def test_the_form_hint_tells_the_change_cannot_be_told_from_noise(login, org):
    start = last_month()
    for _i in range(3):
        rollup(
            org,
            start,
            org.team_a,
            promoters=50,
            passives=30,
            detractors=20,
            interactions=1000,
            errors=80,
        )
        start = (start - dt.timedelta(days=1)).replace(day=1)
    client = login(org.lead)
    response = client.get(
        reverse("programmes:target_check"),
        data(team=org.team_a.pk, goal_amount="8"),
        headers={"hx-request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Too small for one period" in page and "error rate" in page


def test_the_target_list_takes_few_queries(login, org, django_assert_max_num_queries):
    for team in (org.team_a, org.team_b, org.team_c, None):
        for metric in Metric.values:
            target(org, team, metric=metric)
    client = login(org.lead)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("programmes:targets")).status_code == 200


def test_a_target_with_an_old_baseline_can_still_be_edited(login, org):
    old = target(org, org.team_a, baseline_start=dt.date(2024, 1, 1), due_on=dt.date(2024, 12, 31))
    page = login(org.manager).get(reverse("programmes:target_edit", args=[old.pk])).content.decode()
    assert 'value="month:2024-01-01" selected' in page


def test_the_plan_page_does_not_query_per_linked_target(login, org, django_assert_max_num_queries):
    from levels.models import PlanItem
    from programmes.models import Programme

    programme = Programme.objects.create(
        organisation=org.organisation,
        name="P",
        vision="v",
        mission="m",
        why="w",
        starts_on=dt.date(2026, 1, 1),
        is_current=True,
    )
    mission = PlanItem.objects.create(programme=programme, level=1, title="M")
    for index in range(10):
        goal = target(org, programme=programme)
        item = PlanItem.objects.create(
            programme=programme, level=2, title=f"i{index}", serves=mission
        )
        item.targets.add(goal)
    client = login(org.employee)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("dashboards:programme")).status_code == 200


def test_a_rate_change_has_newcombes_interval():
    # Newcombe (1998), example (a): 56/70 against 48/80 gives 0.0524 to 0.3339.
    change = metrics.rate_change(48, 80, 56, 70)
    assert change.delta == pytest.approx(20)
    assert change.low == pytest.approx(5.24, abs=0.01)
    assert change.high == pytest.approx(33.39, abs=0.01)
    assert change.significant
    assert not metrics.rate_change(10, 100, 12, 100).significant
    assert metrics.rate_change(0, 0, 1, 10).delta is None


def test_progress_says_whether_the_change_since_the_baseline_is_real(org):
    rollup(org, dt.date(2026, 8, 1), interactions=1000, errors=100)
    rollup(org, dt.date(2026, 11, 1), interactions=1000, errors=60)
    target(org, metric=Metric.ERROR_RATE, kind=GoalKind.ABSOLUTE, amount=5)
    result = only(org)
    assert result.change.delta == pytest.approx(-4)
    assert result.change.high < 0 and result.change.significant
    assert result.as_json()["change"]["significant"] is True


@pytest.mark.parametrize("amount", ["nan", "inf", "-inf", "1e400", "abc", ""])
def test_odd_goals_are_form_errors_never_crashes(login, org, amount):
    client = login(org.manager)
    check = client.get(reverse("programmes:target_check"), data(goal_amount=amount))
    assert check.status_code == 200
    response = client.post(reverse("programmes:target_create"), data(goal_amount=amount))
    assert response.status_code == 400 and not Target.objects.exists()


def test_the_target_page_shows_the_change_since_the_baseline_in_dutch(org):
    from django.test import Client

    rollup(org, dt.date(2026, 8, 1), org.team_a, interactions=1000, errors=100)
    rollup(org, last_month(), org.team_a, interactions=1000, errors=55)
    target(
        org,
        org.team_a,
        metric=Metric.ERROR_RATE,
        kind=GoalKind.ABSOLUTE,
        amount=5,
        due_on=dt.date.today() + dt.timedelta(days=300),
    )
    client = Client(headers={"accept-language": "nl"})
    client.force_login(org.employee)
    page = client.get(reverse("programmes:targets")).content.decode()
    assert "Sinds de nulmeting: -4,5 procentpunten" in page and "een echte verandering" in page


def test_one_teams_targets_have_their_own_address(login, org):
    target(org, org.team_a, what_for="Alpha's goal")
    target(org, org.team_b, what_for="Beta's goal")
    client = login(org.employee)
    page = client.get(reverse("programmes:targets"), {"team": "beta"}).content.decode()
    assert "Beta's goal" in page.replace("&#x27;", "'") and "Alpha" not in page.split("<main")[1]
    assert client.get(reverse("programmes:targets"), {"team": "elsewhere"}).status_code == 404
