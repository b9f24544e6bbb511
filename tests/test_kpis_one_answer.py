"""One new answer in the worker (issue 20): the task that brings the rollups up to date after one
new response or interaction runs in one transaction with a fixed number of queries, the same
however many teams, days and themes its marks touch, and gives the rows of a rebuild."""

import datetime as dt

import pytest
from django.db import connection

from feedback.ingest import validate_and_store
from feedback.models import DirtyMark, Theme
from kpis import receivers, rollups
from kpis.bench_latency import Counted
from kpis.tasks import recompute_rollups
from tests import rollup_oracle
from tests.test_kpis_rollups import daily_rows, rollup_rows, theme_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the set-based update and its statements are PostgreSQL's (CI has it)")


# Statements (BEGIN and COMMIT aside): the organisation's lock and its rollup version, the
# marks, the counting (kpis.counting: responses, their themes and invitations; or the customers'
# next visits, interactions and customers), one statement per kind of rollup row written (the
# days' customers; the teams' days and their themes; the organisation's days and themes; the
# weeks, months and quarters and their themes), the marks' removal, and the clock-change check.
RESPONSE_QUERIES = 14
INTERACTION_QUERIES = 12


def stored(organisation, kind, rows):
    """Rows written as ingest writes them, marks included, with the worker's message held back
    (tasks run in-process in the tests), so that the worker's own run can be counted."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(receivers, "send", lambda *args: None)
        validate_and_store(organisation, kind, rows, source="api")


def themes(organisation):
    Theme.objects.create(organisation=organisation, name="Wachttijd", keywords="gewacht")
    Theme.objects.create(organisation=organisation, name="Prijs", keywords="duur")
    Theme.objects.create(organisation=organisation, name="Personeel", keywords="vriendelijk")


def history(organisation):
    """Earlier figures, so that the new rows change stored rows rather than only add them."""
    stored(
        organisation,
        "responses",
        [
            {
                "team": team,
                "score": n % 11,
                "comment": "lang gewacht" if n % 2 else "",
                "submitted_at": f"2026-03-{1 + n % 20:02d} 10:00",
            }
            for n, team in enumerate(["alpha", "beta", "gamma"] * 10)
        ],
    )
    stored(
        organisation,
        "interactions",
        [
            {
                "team": team,
                "customer_ref": f"C{n % 7}",
                "occurred_at": f"2026-03-{1 + n % 20:02d} 09:00",
                "is_error": n % 4 == 0,
            }
            for n, team in enumerate(["alpha", "beta", "gamma"] * 10)
        ],
    )
    recompute_rollups(organisation.pk)
    assert not DirtyMark.objects.exists()


def run_worker(organisation):
    with Counted() as counted:
        recompute_rollups(organisation.pk)
    assert not DirtyMark.objects.exists()
    assert rollup_rows(organisation) == [
        row for row in rollup_oracle.rollups(organisation) if any(row[3:])
    ]
    assert theme_rows(organisation) == rollup_oracle.themes(organisation)
    return counted.statements, counted.transactions


def test_one_new_response_is_one_transaction_of_a_fixed_number_of_queries(org, postgresql):
    organisation = org.organisation
    themes(organisation)
    history(organisation)
    one = {"team": "alpha", "score": 3, "comment": "lang gewacht", "submitted_at": "2026-03-04"}
    stored(organisation, "responses", [one])
    assert run_worker(organisation) == (RESPONSE_QUERIES, 1)
    # Many teams, days (in other weeks, months and quarters) and themes at once: the same.
    many = [
        {
            "team": team,
            "score": n % 11,
            "comment": "lang gewacht, te duur, wel vriendelijk",
            "submitted_at": f"2026-{1 + n % 6:02d}-{1 + n % 27:02d} 11:00",
        }
        for n, team in enumerate(["alpha", "beta", "gamma"] * 6)
    ]
    stored(organisation, "responses", many)
    assert DirtyMark.objects.count() == 18
    assert run_worker(organisation) == (RESPONSE_QUERIES, 1)


def test_one_new_interaction_is_one_transaction_of_a_fixed_number_of_queries(org, postgresql):
    organisation = org.organisation
    history(organisation)
    one = {"team": "beta", "customer_ref": "C3", "occurred_at": "2026-03-02 12:00"}
    stored(organisation, "interactions", [one])
    assert run_worker(organisation) == (INTERACTION_QUERIES, 1)
    # An earlier visit of known customers at every team: it changes their later visits too.
    many = [
        {"team": team, "customer_ref": f"C{n}", "occurred_at": f"2026-0{1 + n % 2}-0{1 + n} 08:00"}
        for n, team in enumerate(["alpha", "beta", "gamma"] * 3)
    ]
    stored(organisation, "interactions", many)
    assert DirtyMark.objects.count() > 1
    assert run_worker(organisation) == (INTERACTION_QUERIES, 1)
    incremental = daily_rows(organisation)
    rollups.rebuild(organisation)
    assert daily_rows(organisation) == incremental


def test_a_mark_set_again_while_the_worker_counted_stays_for_the_next_run(org, monkeypatch):
    organisation = org.organisation
    stored(organisation, "responses", [{"team": "alpha", "score": 9, "submitted_at": "2026-03-04"}])
    counted = rollups.counting.count_responses

    def count_then_a_new_answer_arrives(*args, **kwargs):
        found = counted(*args, **kwargs)
        # Another connection would do this; here the mark's new token is what matters.
        DirtyMark.objects.mark(
            organisation, {(org.team_a.pk, dt.date(2026, 3, 4))}, later_periods=False
        )
        return found

    monkeypatch.setattr(rollups.counting, "count_responses", count_then_a_new_answer_arrives)
    recompute_rollups(organisation.pk)
    assert DirtyMark.objects.count() == 1


@pytest.mark.parametrize("set_based", [True, False])
def test_both_ways_give_the_rows_of_a_rebuild(org, monkeypatch, set_based):
    """SQLite's way (``rollups._update``) on either database, and PostgreSQL's set-based one."""
    if set_based and connection.vendor != "postgresql":
        pytest.skip("the set-based update is PostgreSQL's")
    monkeypatch.setattr(rollups, "SQL_UPDATES", set_based)
    organisation = org.organisation
    themes(organisation)
    history(organisation)
    stored(
        organisation,
        "responses",
        [
            {
                "team": team,
                "score": n % 11,
                "comment": "te duur",
                "submitted_at": f"2026-0{n % 3 + 3}-02",
            }
            for n, team in enumerate(["alpha", "beta", "gamma"] * 3)
        ],
    )
    stored(
        organisation,
        "interactions",
        [
            {"team": team, "customer_ref": f"C{n}", "occurred_at": f"2026-02-{n + 1:02d} 08:00"}
            for n, team in enumerate(["alpha", "beta", "gamma"] * 3)
        ],
    )
    recompute_rollups(organisation.pk)
    assert not DirtyMark.objects.exists()
    incremental = (rollup_rows(organisation), theme_rows(organisation), daily_rows(organisation))
    rollups.rebuild(organisation)
    assert incremental == (
        rollup_rows(organisation),
        theme_rows(organisation),
        daily_rows(organisation),
    )
    assert incremental[0] == [row for row in rollup_oracle.rollups(organisation) if any(row[3:])]
