"""The KPI engine with a real Redis and real worker processes: a response shows within
seconds, a killed worker loses nothing that the sweeper does not recover, and ingest keeps
accepting while the broker is away. Skipped without REDIS_URL, and where the test database
cannot be shared with a worker process (SQLite in memory)."""

import re
import time
import uuid

import pytest
from django.db import connection
from django.test import Client

from feedback.models import DirtyMark, SurveyLink
from kpis.models import Rollup
from kpis.tasks import recompute_rollups, sweep_dirty_rollups
from tests import rollup_oracle
from tests.conftest import start_worker
from tests.test_kpis_rollups import rollup_rows

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shared_database():
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share an in-memory SQLite test database")


def test_a_response_from_the_public_form_shows_in_the_kpis_within_five_seconds(org, celery_worker):
    link = SurveyLink.objects.create(organisation=org.organisation, team=org.team_a, name="Desk")
    customer = Client()
    page = customer.get(f"/s/{link.token}/").content.decode()
    submission = re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)
    reader = Client()
    reader.force_login(org.employee)

    started = time.monotonic()
    answer = customer.post(f"/s/{link.token}/", {"score": "10", "submission": submission})
    assert answer.status_code == 302
    seen_after = None
    while time.monotonic() - started < 10:
        series = reader.get("/api/v1/kpis?team=alpha&period=day&last=1").json()["series"]
        if series[-1]["responses"] == 1:
            seen_after = time.monotonic() - started
            break
        time.sleep(0.1)
    assert seen_after is not None, celery_worker.log.read_text()[-2000:]
    assert seen_after < 5
    print(f"freshness: the response showed in the KPI API after {seen_after:.2f} s")


def make_backlog(org, monkeypatch, days=120):
    """Many dirty team-days, so a recomputation takes a while; no task is sent for them."""
    from feedback import ingest
    from feedback.ingest import store_interactions

    monkeypatch.setattr(ingest, "announce_after_commit", lambda organisation: None)
    from feedback.rows import RowValidator

    validator = RowValidator(org.organisation, "interactions")
    rows = []
    for n in range(days):
        for team in ("alpha", "beta", "gamma"):
            raw = {
                "team": team,
                "customer_ref": f"C{n % 17}",
                "occurred_at": f"2026-{1 + n // 30:02d}-{1 + n % 28:02d} 10:00",
                "is_error": n % 5 == 0,
            }
            rows.append(validator.validate(raw, n)[0])
    store_interactions(org.organisation, rows, source="api")


def test_a_worker_killed_mid_recomputation_loses_nothing(org, redis_url, tmp_path, monkeypatch):
    from config.celery import app

    make_backlog(org, monkeypatch)
    assert DirtyMark.objects.exists()
    expected = [row for row in rollup_oracle.rollups(org.organisation) if any(row[3:])]
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    # Period by period (no one-pass rebuild), so the task is still busy when it is killed.
    first = start_worker(queue, redis_url, tmp_path, "-1", ROLLUP_REBUILD_ABOVE="100000")
    try:
        recompute_rollups.apply_async((org.organisation.pk,), queue=queue)
        deadline = time.monotonic() + 60
        while Rollup.objects.count() < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.stop(kill=True)
    finally:
        first.stop(kill=True)
    written = Rollup.objects.count()
    assert written >= 20, first.log.read_text()[-2000:]
    assert DirtyMark.objects.exists(), "the worker finished before it was killed"
    assert rollup_rows(org.organisation) != expected  # half done
    second = start_worker(queue, redis_url, tmp_path, "-2")
    try:
        # Beat's sweeper, as it runs every minute, on the new worker.
        sweep_dirty_rollups.apply_async(queue=queue).get(timeout=120)
    finally:
        second.stop()
    assert not DirtyMark.objects.exists()
    assert rollup_rows(org.organisation) == expected


def test_ingest_keeps_accepting_while_redis_is_away_and_the_sweeper_catches_up(
    org, post_rows, settings
):
    from tests.conftest import broker_unreachable

    with broker_unreachable():
        response = post_rows(
            "responses", [{"team": "alpha", "score": 9, "submitted_at": "2026-02-02 10:00"}]
        )
    assert response.status_code == 200
    assert DirtyMark.objects.count() == 1 and not Rollup.objects.exists()
    sweep_dirty_rollups()  # Redis is back; beat runs the sweeper
    assert Rollup.objects.get(team=org.team_a, kind="month").promoters == 1
    assert not DirtyMark.objects.exists()
