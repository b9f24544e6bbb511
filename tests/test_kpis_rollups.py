"""Rollups: incremental updates after ingest, idempotent recomputation, a rebuild that gives
the same rows, period and time-zone boundaries, and the KPI read API on top."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import DirtyMark, Interaction, Response, Theme
from kpis import rollups
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from organisations import clock
from tests import rollup_oracle

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


def rollup_rows(organisation):
    return sorted(
        Rollup.objects.filter(organisation=organisation).values_list(
            "team_id", "kind", "period_start", *rollups.COUNT_FIELDS
        ),
        key=str,
    )


def theme_rows(organisation):
    return sorted(
        ThemeRollup.objects.filter(organisation=organisation).values_list(
            "team_id", "kind", "period_start", "theme_id", "mentions", "detractor_mentions"
        ),
        key=str,
    )


def daily_rows(organisation):
    return sorted(
        DailyCustomers.objects.filter(organisation=organisation).values_list(
            "team_id", "day", *rollups.DAILY_FIELDS
        ),
        key=str,
    )


@pytest.fixture
def ingest(post_rows, django_capture_on_commit_callbacks):
    """Write rows through the API and let the on-commit rollup task run, as a worker would."""

    def _ingest(kind, rows):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_rows(kind, rows)
        assert response.status_code == 200, response.json()
        return response.json()

    return _ingest


def test_period_boundaries():
    day = dt.date(2026, 3, 31)  # a Tuesday
    assert clock.period_start(day, "week") == dt.date(2026, 3, 30)
    assert clock.period_start(day, "month") == dt.date(2026, 3, 1)
    assert clock.period_start(day, "quarter") == dt.date(2026, 1, 1)
    assert clock.next_start(dt.date(2026, 10, 1), "quarter") == dt.date(2027, 1, 1)
    assert clock.label(dt.date(2026, 12, 28), "week") == "2026-W53"
    since, until = clock.bounds(dt.date(2026, 3, 29), "day", AMSTERDAM)  # DST starts
    assert until.astimezone(dt.UTC) - since.astimezone(dt.UTC) == dt.timedelta(hours=23)


def test_a_response_at_2330_on_31_march_in_amsterdam_counts_in_march(org, ingest):
    ingest("responses", [{"team": "alpha", "score": 10, "submitted_at": "2026-03-31T23:30"}])
    month = Rollup.objects.get(team=org.team_a, kind="month")
    assert month.period_start == dt.date(2026, 3, 1) and month.promoters == 1
    assert Rollup.objects.get(team=None, kind="quarter").period_start == dt.date(2026, 1, 1)
    # The same moment written in UTC is the same response, in March too.
    ingest("responses", [{"team": "alpha", "score": 0, "submitted_at": "2026-03-31T21:30:00Z"}])
    month.refresh_from_db()
    assert (month.promoters, month.detractors) == (1, 1)


def test_ingest_marks_and_the_task_recomputes_then_clears_the_marks(org, ingest, post_rows):
    ingest(
        "responses",
        [
            {"team": "alpha", "score": 9, "comment": "Top", "submitted_at": "2026-02-02 10:00"},
            {"team": "alpha", "score": 7, "submitted_at": "2026-02-03 10:00"},
            {"team": "beta", "score": 3, "submitted_at": "2026-02-03 11:00"},
        ],
    )
    assert not DirtyMark.objects.exists()
    team = Rollup.objects.get(team=org.team_a, kind="month", period_start=dt.date(2026, 2, 1))
    whole = Rollup.objects.get(team=None, kind="month", period_start=dt.date(2026, 2, 1))
    assert (team.responses, team.promoters, team.passives, team.comments) == (2, 1, 1, 1)
    assert (whole.responses, whole.detractors) == (3, 1)
    # Without the task (a lost message), the mark stays for the sweeper.
    post_rows("responses", [{"team": "beta", "score": 10, "submitted_at": "2026-02-04"}])
    assert DirtyMark.objects.count() == 1


def test_recomputing_twice_gives_the_same_rows_and_a_rebuild_too(org, ingest):
    ingest(
        "interactions",
        [
            {"team": "alpha", "customer_ref": "A", "occurred_at": "2026-01-05 10:00"},
            {"team": "alpha", "customer_ref": "A", "occurred_at": "2026-02-05 10:00"},
            {"team": "beta", "customer_ref": "A", "occurred_at": "2026-02-06", "is_error": True},
            {"team": "alpha", "customer_ref": "B", "occurred_at": "2026-02-07 10:00"},
        ],
    )
    first = rollup_rows(org.organisation)
    keys = Rollup.objects.values_list("team_id", "kind", "period_start")
    for key in sorted(keys, key=lambda k: (k[0] or 0, rollups.KIND_ORDER[k[1]], k[2])):
        rollups.recompute(org.organisation, *key)
    DirtyMark.objects.mark(
        org.organisation, {(org.team_a.pk, dt.date(2026, 1, 5))}, later_periods=True
    )
    rollups.recompute_dirty(org.organisation)
    rollups.recompute_dirty(org.organisation)
    assert rollup_rows(org.organisation) == first
    rollups.rebuild(org.organisation)
    assert rollup_rows(org.organisation) == first


def test_returning_customers_per_team_and_for_the_organisation(org, ingest):
    ingest(
        "interactions",
        [
            {"team": "alpha", "customer_ref": "A", "occurred_at": "2026-01-05 10:00"},
            {"team": "alpha", "customer_ref": "A", "occurred_at": "2026-02-05 10:00"},
            {"team": "beta", "customer_ref": "A", "occurred_at": "2026-02-06 10:00"},
            {"team": "beta", "customer_ref": "B", "occurred_at": "2026-02-07 10:00"},
            {"team": "beta", "customer_ref": "", "occurred_at": "2026-02-08 10:00"},
        ],
    )
    feb = dt.date(2026, 2, 1)
    alpha = Rollup.objects.get(team=org.team_a, kind="month", period_start=feb)
    beta = Rollup.objects.get(team=org.team_b, kind="month", period_start=feb)
    whole = Rollup.objects.get(team=None, kind="month", period_start=feb)
    assert (alpha.customers, alpha.returning_customers) == (1, 1)
    assert (beta.customers, beta.returning_customers, beta.interactions) == (2, 0, 3)
    assert (whole.customers, whole.returning_customers) == (2, 1)


def test_an_old_interaction_makes_later_periods_returning(org, ingest):
    ingest("interactions", [{"team": "alpha", "customer_ref": "A", "occurred_at": "2026-03-05"}])
    march = {"team": org.team_a, "kind": "month", "period_start": dt.date(2026, 3, 1)}
    assert Rollup.objects.get(**march).returning_customers == 0
    ingest("interactions", [{"team": "alpha", "customer_ref": "A", "occurred_at": "2026-01-05"}])
    assert Rollup.objects.get(**march).returning_customers == 1


def test_themes_among_detractors(org, ingest):
    theme = Theme.objects.create(organisation=org.organisation, name="Wait", keywords="wacht")
    ingest(
        "responses",
        [
            {"team": "alpha", "score": 2, "comment": "Lang wachten", "submitted_at": "2026-02-02"},
            {"team": "alpha", "score": 9, "comment": "Wachten: kort", "submitted_at": "2026-02-02"},
        ],
    )
    row = ThemeRollup.objects.get(team=org.team_a, kind="month", theme=theme)
    assert (row.mentions, row.detractor_mentions) == (2, 1)


moments = st.datetimes(min_value=dt.datetime(2025, 12, 28), max_value=dt.datetime(2026, 4, 3)).map(
    lambda moment: moment.replace(second=0, microsecond=0).isoformat()
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    responses=st.lists(
        st.fixed_dictionaries(
            {
                "team": st.sampled_from(["alpha", "beta"]),
                "score": st.none() | st.integers(0, 10),
                "comment": st.sampled_from(["", "ok"]),
                "submitted_at": moments,
            }
        ).filter(lambda row: row["score"] is not None or row["comment"]),
        max_size=12,
    ),
    interactions=st.lists(
        st.fixed_dictionaries(
            {
                "team": st.sampled_from(["alpha", "beta"]),
                "customer_ref": st.sampled_from(["", "A", "B", "C"]),
                "occurred_at": moments,
                "is_error": st.booleans(),
            }
        ),
        max_size=12,
    ),
)
def test_rollups_equal_a_straightforward_recomputation(org, ingest, responses, interactions):
    Response.objects.all().delete()
    Interaction.objects.all().delete()
    Rollup.objects.all().delete()
    ThemeRollup.objects.all().delete()
    DailyCustomers.objects.all().delete()
    Theme.objects.get_or_create(organisation=org.organisation, name="Ok", keywords="ok")
    for batch in (responses[: len(responses) // 2], responses[len(responses) // 2 :]):
        if batch:
            ingest("responses", batch)
    for batch in (interactions[: len(interactions) // 2], interactions[len(interactions) // 2 :]):
        if batch:
            ingest("interactions", batch)
    expected = [row for row in rollup_oracle.rollups(org.organisation) if any(row[3:])]
    expected_themes = rollup_oracle.themes(org.organisation)
    assert rollup_rows(org.organisation) == expected
    assert theme_rows(org.organisation) == expected_themes
    incremental_days = daily_rows(org.organisation)
    rollups.rebuild(org.organisation)
    assert rollup_rows(org.organisation) == expected
    assert theme_rows(org.organisation) == expected_themes
    assert daily_rows(org.organisation) == incremental_days


def test_kpi_api_reads_the_series_for_a_token_and_a_logged_in_employee(org, ingest, client):
    ingest(
        "responses",
        [{"team": "alpha", "score": s, "submitted_at": "2026-02-02 10:00"} for s in (10, 9, 3)],
    )
    from organisations.models import IntegrationToken

    raw = IntegrationToken.issue(organisation=org.organisation, name="BI")[1]
    answer = client.get(
        "/api/v1/kpis?team=alpha&period=month&last=60",
        headers={"authorization": f"Bearer {raw}"},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    february = next(e for e in body["series"] if e["period_start"] == "2026-02-01")
    assert february["responses"] == 3
    assert february["nps"]["value"] == pytest.approx(33.3) and february["nps"]["too_few"]
    assert february["nps"]["low"] < 33.3 < february["nps"]["high"]
    client.force_login(org.employee_b)  # figures are open to every employee
    assert client.get("/api/v1/kpis?team=alpha&last=60").status_code == 200
    assert client.get("/api/v1/kpis?team=elsewhere").status_code == 404
    client.force_login(org.other_manager)
    assert client.get("/api/v1/kpis?team=alpha").status_code == 404


def test_kpi_api_needs_a_login_or_token(client, db):
    assert client.get("/api/v1/kpis").status_code == 401


@pytest.mark.parametrize("by_copy", [True, False])
def test_a_rebuild_writes_by_copy_and_by_the_orm_the_rows_of_the_independent_recomputation(
    org, ingest, monkeypatch, by_copy
):
    from django.db import connection

    from kpis import store

    if by_copy and connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; SQLite writes the ORM's way")
    Theme.objects.create(organisation=org.organisation, name="Wait", keywords="wait")
    ingest(
        "responses",
        [
            {"team": "alpha", "score": 3, "comment": "wait", "submitted_at": "2026-03-31T23:30"},
            {"team": "beta", "score": 10, "comment": "fine", "submitted_at": "2026-04-01T09:00"},
        ],
    )
    ingest(
        "interactions",
        [
            {"team": "alpha", "customer_ref": "A", "occurred_at": "2026-01-05 10:00"},
            {"team": "beta", "customer_ref": "A", "occurred_at": "2026-04-02 10:00"},
        ],
    )
    monkeypatch.setattr(store, "COPY_WRITES", by_copy)
    rollups.rebuild(org.organisation)
    expected = [row for row in rollup_oracle.rollups(org.organisation) if any(row[3:])]
    assert rollup_rows(org.organisation) == expected
    assert theme_rows(org.organisation) == rollup_oracle.themes(org.organisation)
