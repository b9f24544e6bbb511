"""Follow-through against a hand-made example: shares closed on time with their Wilson
interval, the median time to close with its distribution-free interval, on the board and in
the KPI API."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response, Source
from followups import figures
from followups.models import FollowUp, State
from organisations import clock


def make(org, team, *, due_on, state=State.OPEN, closed_after_days=None, closed_on=None):
    opened = timezone.now() - dt.timedelta(days=30)
    response = Response.objects.create(
        organisation=org.organisation,
        team=team,
        score=2,
        submitted_at=opened,
        source=Source.API,
    )
    closed_at = None if closed_after_days is None else opened + dt.timedelta(closed_after_days)
    return FollowUp.objects.create(
        organisation=org.organisation,
        team=team,
        response=response,
        reached_by="external_id",
        due_on=due_on,
        state=state,
        opened_at=opened,
        closed_at=closed_at,
        closed_on=closed_on,
    )


@pytest.fixture
def example(org):
    """Alpha: three closed on time (after 1, 2 and 3 days), one closed late (after 5 days),
    one still open past its due day, one open and not due yet. Beta: nothing."""
    today = clock.local_today(org.organisation)
    due = today - dt.timedelta(days=10)
    for days in (1, 2, 3):
        make(org, org.team_a, due_on=due, state=State.CLOSED, closed_after_days=days, closed_on=due)
    make(
        org,
        org.team_a,
        due_on=due,
        state=State.UNREACHABLE,
        closed_after_days=5,
        closed_on=due + dt.timedelta(days=1),
    )
    make(org, org.team_a, due_on=today - dt.timedelta(days=1))
    make(org, org.team_a, due_on=today + dt.timedelta(days=1))
    return today


def test_follow_through_of_a_team_and_the_organisation(org, example):
    total, per_team = figures.follow_through(org.organisation, example)
    alpha = per_team[org.team_a.pk]
    assert (alpha.n_due, alpha.on_time, alpha.on_time_share) == (5, 3, 60.0)
    # Wilson, 3 of 5: centre 0.5565, half-width 0.3258.
    assert (alpha.on_time_low, alpha.on_time_high) == (23.1, 88.2)
    assert (alpha.n_closed, alpha.median_days) == (4, 2.5)
    assert (alpha.median_low, alpha.median_high) == (1.0, 5.0)  # n = 4: the whole range
    assert (alpha.open, alpha.overdue) == (2, 1)
    assert org.team_b.pk not in per_team
    assert total == alpha


def test_the_interval_of_a_median_of_ten_lies_between_the_second_and_ninth_values():
    assert figures.median_interval(list(range(1, 11))) == (2, 9)
    assert figures.median_interval([]) == (None, None)


def test_the_board_shows_follow_through_to_everyone(org, example, login):
    page = login(org.employee_b).get(reverse("dashboards:board"))
    body = page.content.decode()
    assert "Closing the loop" in body
    assert "60%" in body and "23 … 88% (5)" in body


def test_the_kpi_api_gives_follow_through_per_period(org, example, login):
    client = login(org.employee_b)
    answer = client.get("/api/v1/kpis?team=alpha&period=month&last=3").json()
    months = {entry["period_start"]: entry["follow_through"] for entry in answer["series"]}
    due_month = clock.period_start(example - dt.timedelta(days=10), clock.MONTH).isoformat()
    assert months[due_month]["on_time"] == 3
    assert sum(month["n_due"] for month in months.values()) == 5
    assert sum(month["overdue"] for month in months.values()) == 1
