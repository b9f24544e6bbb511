"""A real Celery worker process picks up tasks through Redis (skipped without REDIS_URL)."""

import pytest
from django.core.cache import cache
from django.test import Client

from organisations.tasks import HEARTBEAT_KEY, record_heartbeat

pytestmark = pytest.mark.worker


def test_a_real_worker_runs_a_task_sent_through_redis(celery_worker):
    result = record_heartbeat.apply_async(queue=celery_worker.queue)
    value = result.get(timeout=30)
    assert result.successful()
    # The worker wrote to the shared cache (Redis) from its own process.
    assert cache.get(HEARTBEAT_KEY) == value
    assert "record_heartbeat" in celery_worker.log.read_text()


def test_healthz_reports_the_running_worker(celery_worker, db):
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["redis"]["status"] == "up"
    assert body["worker"]["status"] == "up"
    assert "workers" not in body["worker"]  # no host names for anonymous visitors


@pytest.mark.django_db(transaction=True)
def test_the_worker_uses_the_test_database(celery_worker, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("an in-memory SQLite test database cannot be shared with a worker process")
    from django.contrib.sessions.backends.db import SessionStore

    from organisations.tasks import clear_expired_sessions

    expired = SessionStore()
    expired.set_expiry(-60)
    expired.create()
    result = clear_expired_sessions.apply_async(queue=celery_worker.queue)
    assert result.get(timeout=30) == 1
