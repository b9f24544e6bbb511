"""A done idea's figures: the team's metric in the full periods before it was taken up against
those after it was done, from hand-made rollups, with the interval of the change."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ideas import impact
from ideas.models import Idea, IdeaStatus
from kpis import metrics
from programmes.models import Target
from tests.test_programmes_targets import rollup

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = dt.date(2026, 11, 15)


def moment(day, hour=12):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=AMSTERDAM)


def done_idea(org, accepted, done, started=None, target=None):
    return Idea.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        proposer=org.employee,
        title="A call-back round at four",
        change="Call back the same day",
        status=IdeaStatus.DONE,
        target=target,
        accepted_at=moment(accepted),
        started_at=moment(started or accepted),
        done_at=moment(done),
    )


def test_nps_before_it_was_accepted_against_after_it_was_done(org):
    # Accepted in June, done in August: before is March to May, after September and October
    # (November has not ended).
    for month, counts in {
        3: (20, 20, 20),
        4: (25, 15, 20),
        5: (15, 25, 15),
        6: (90, 0, 0),  # the months of the work itself do not count
        8: (0, 0, 90),
        9: (40, 10, 10),
        10: (35, 15, 5),
        11: (0, 0, 50),
    }.items():
        promoters, passives, detractors = counts
        rollup(
            org,
            dt.date(2026, month, 1),
            org.team_a,
            promoters=promoters,
            passives=passives,
            detractors=detractors,
        )
    # Other teams, the whole organisation and other period kinds are not the team's months.
    rollup(org, dt.date(2026, 4, 1), org.team_b, promoters=0, detractors=80)
    rollup(org, dt.date(2026, 9, 1), None, promoters=0, detractors=80)
    rollup(org, dt.date(2026, 9, 7), org.team_a, kind="week", promoters=0, detractors=80)
    proposal = done_idea(org, accepted=dt.date(2026, 6, 10), done=dt.date(2026, 8, 20))

    result = impact.before_after(proposal, today=TODAY)

    assert result.metric == "nps" and result.kind == "month"
    assert result.before_starts == [dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)]
    assert result.after_starts == [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    before, after = (60, 60, 55), (75, 25, 15)  # promoters, passives, detractors pooled
    assert result.before == metrics.nps(*before, min_responses=30)
    assert result.before.value == pytest.approx(100 * (60 - 55) / 175)
    assert result.after.value == pytest.approx(100 * (75 - 15) / 115)
    assert result.change == metrics.nps_change(before, after)
    assert result.change.significant  # +2.9 to +52: the interval excludes zero
    assert (result.before_label, result.after_label) == (
        "March 2026 – May 2026",
        "September 2026 – October 2026",
    )


def test_the_error_rate_of_its_target_per_quarter(org):
    target = Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="error_rate",
        period="quarter",
        baseline_start="2025-10-01",
        goal_kind="absolute",
        goal_amount=5,
        due_on="2026-12-31",
    )
    rollup(org, dt.date(2025, 10, 1), org.team_a, kind="quarter", interactions=400, errors=40)
    rollup(org, dt.date(2026, 1, 1), org.team_a, kind="quarter", interactions=600, errors=60)
    rollup(org, dt.date(2026, 7, 1), org.team_a, kind="quarter", interactions=500, errors=30)
    # Started (without being accepted first) in April, done in May.
    proposal = done_idea(
        org, accepted=dt.date(2026, 4, 2), done=dt.date(2026, 5, 30), target=target
    )
    proposal.accepted_at = None
    result = impact.before_after(proposal, today=TODAY)
    assert result.kind == "quarter" and result.metric == "error_rate"
    assert result.before_starts == [dt.date(2025, 7, 1), dt.date(2025, 10, 1), dt.date(2026, 1, 1)]
    assert result.after_starts == [dt.date(2026, 7, 1)]  # Q4 has not ended
    assert result.before == metrics.error_rate(100, 1000)
    assert result.after == metrics.error_rate(30, 500)
    assert result.change == metrics.rate_change(100, 1000, 30, 500)
    assert result.change.delta == pytest.approx(-4.0)
    assert result.change.significant


def test_the_after_figure_waits_for_the_first_full_period_after_it_was_done(org):
    rollup(org, dt.date(2026, 9, 1), org.team_a, promoters=30, passives=10, detractors=5)
    proposal = done_idea(org, accepted=dt.date(2026, 10, 5), done=dt.date(2026, 10, 28))
    result = impact.before_after(proposal, today=TODAY)
    assert result.waiting and result.after is None and result.change is None
    assert result.before.n == 45


def test_an_idea_not_done_has_no_figures(org):
    proposal = done_idea(org, accepted=dt.date(2026, 6, 10), done=dt.date(2026, 8, 20))
    proposal.done_at = None
    assert impact.before_after(proposal, today=TODAY) is None


def test_the_page_of_a_done_idea_shows_before_after_and_whether_it_is_real(login, org):
    today = dt.date.today()
    first = today.replace(day=1)
    months = [first]
    for _i in range(6):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    # Done three months ago, accepted four months ago: before the three months before that.
    for start in months[5:]:
        rollup(org, start, org.team_a, promoters=20, passives=20, detractors=40)
    for start in months[1:3]:
        rollup(org, start, org.team_a, promoters=60, passives=20, detractors=10)
    proposal = done_idea(org, accepted=months[4] + dt.timedelta(days=3), done=months[3])
    page = login(org.employee_b).get(reverse("ideas:detail", args=[proposal.pk])).content.decode()
    assert "Did it help?" in page
    assert "a real change" in page
    assert "n = 160" in page and "n = 180" in page
