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
