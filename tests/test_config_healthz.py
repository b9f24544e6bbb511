"""``/healthz`` says what is up, in JSON, and answers 503 when something configured is down."""

from django.test import Client


def test_healthz_is_ok_on_the_embedded_default(db, settings):
    settings.REDIS_URL = ""
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "up"
    assert body["redis"]["status"] == "not configured"
    assert body["worker"]["status"] == "not configured"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_configured_redis_is_unreachable(db, settings):
    from config.celery import app

    original = app.conf.broker_url
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    app.conf.broker_url = settings.REDIS_URL
    try:
        response = Client().get("/healthz")
    finally:
        app.conf.broker_url = original
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["redis"]["status"] == "down"
    assert body["worker"]["status"] == "down"


def test_healthz_only_checks_what_is_asked(db):
    body = Client().get("/healthz?only=database").json()
    assert set(body) == {"status", "database"}


def test_healthz_needs_no_login_and_no_https(db):
    response = Client().get("/healthz?only=database", secure=False)
    assert response.status_code == 200


def test_a_stale_beat_heartbeat_is_down_and_a_fresh_one_up(db, settings):
    import time

    from django.core.cache import cache

    from config.health import check_beat
    from organisations.tasks import HEARTBEAT_KEY

    settings.REDIS_URL = "redis://configured"
    cache.set(HEARTBEAT_KEY, time.time() - 3600)
    assert check_beat()["status"] == "down"
    cache.set(HEARTBEAT_KEY, time.time() - 30)
    assert check_beat()["status"] == "up"
    cache.delete(HEARTBEAT_KEY)
    assert check_beat()["status"] == "unknown"


def test_answers_are_cached_briefly(db, settings, monkeypatch):
    from config import health

    calls = []
    monkeypatch.setitem(health.CHECKS, "database", lambda: calls.append(1) or {"status": "up"})
    for _ in range(3):
        Client().get("/healthz?only=database")
    assert len(calls) == 1


def test_healthz_stays_plain_http_when_the_site_redirects_to_https(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/accounts/login/").status_code == 301
    assert Client().get("/healthz?only=database").status_code == 200
