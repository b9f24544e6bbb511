"""Sizing invitations to a team's targets, against a hand-worked example (DESIGN.md's
detectable change at 80% power), and written down on the team's sampling."""

import datetime as dt

import pytest
from django.core.management import call_command

from feedback import ingest
from feedback.models import Sampling
from programmes import sizing
from programmes.models import GoalKind, Target


def test_a_plus_8_nps_target_per_quarter_needs_about_1380_answers():
    # By hand: 2·((1.96 + 0.84)·75/8)² = 2·26.265² = 1379.7 → 1,380 answers per quarter;
    # over 13 weeks 106.2 a week; at a 15 % response rate 707.7 → 708 invitations a week.
    need = sizing.need_for(1, change=8, period="quarter", sigma=75, response_rate=0.15)
    assert need.answers_per_period == 1380
    assert round(need.answers_per_week, 1) == 106.2
    assert need.invitations_per_week == 708


def test_per_month_the_same_answers_come_in_fewer_weeks():
    # 1,380 answers in 52/12 = 4.33 weeks: 318.5 a week; at 20 %: 1,592.3 → 1,593.
    need = sizing.need_for(1, change=8, period="month", sigma=75, response_rate=0.20)
    assert need.invitations_per_week == 1593


@pytest.mark.django_db
def test_a_team_is_sized_from_its_targets_volume_and_the_default_response_rate(org):
    today = dt.date(2026, 11, 20)
    # 2,000 contacts in August–October (92 days, 13.14 weeks): 152.2 a week.
    rows = [
        {
            "team_id": org.team_a.pk,
            "customer_hash": "",
            "occurred_at": dt.datetime(2026, 8, 1, 12, tzinfo=dt.UTC) + dt.timedelta(hours=n),
            "is_error": False,
            "external_id": None,
        }
        for n in range(2000)
    ]
    assert rows[-1]["occurred_at"].date() < dt.date(2026, 11, 1)
    ingest.store_interactions(org.organisation, rows, source="api")
    call_command("rebuild_rollups", "--org", org.organisation.slug)
    Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="nps",
        period="quarter",
        baseline_start=dt.date(2026, 7, 1),
        goal_kind=GoalKind.CHANGE,
        goal_amount=20,
        due_on=dt.date(2027, 6, 30),
    )
    Sampling.objects.create(team=org.team_a, mode=Sampling.Mode.SIZED)
    found = sizing.write_down(org.team_a, today=today)
    # By hand: 2·(2.8016·75/20)² = 220.7 → 221 answers a quarter, 17.0 a week, at the default
    # 15 %: 113.3 → 114 invitations a week, of 2,000/13.14 = 152.2 contacts: a share of 0.749.
    assert found.rate_source == "default" and found.sigma == 75
    assert found.invitations_per_week == 114
    assert round(found.contacts_per_week, 1) == 152.2
    assert round(Sampling.objects.get(team=org.team_a).sized_share, 3) == 0.749
    assert Sampling.objects.get(team=org.team_a).fraction == pytest.approx(114 / (2000 / (92 / 7)))


@pytest.mark.django_db
def test_the_invitations_page_says_what_the_target_needs_and_saves_the_sampling(
    org, login, django_assert_max_num_queries
):
    Target.objects.create(
        organisation=org.organisation,
        team=org.team_a,
        metric="nps",
        period="quarter",
        baseline_start=dt.date(2026, 7, 1),
        goal_kind=GoalKind.CHANGE,
        goal_amount=8,
        due_on=dt.date(2099, 12, 31),
    )
    client = login(org.lead)
    with django_assert_max_num_queries(20):
        page = client.get("/teams/alpha/invitations/")
    text = page.content.decode()
    assert "To tell +8 NPS from noise per quarter you need about 1380 answers" in text
    assert "at your response rate of 15% that is 708 invitations a week" in text
    assert "assumes 15" in text
    saved = client.post("/teams/alpha/invitations/", {"mode": "sized", "share": "100"})
    assert saved.status_code == 302
    sampling = Sampling.objects.get(team=org.team_a)
    assert sampling.mode == "sized" and sampling.sized_share == 1.0  # no contacts yet: all
    bad = client.post("/teams/alpha/invitations/", {"mode": "share", "share": "0"})
    assert bad.status_code == 400
