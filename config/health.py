"""``/healthz``: is the database reachable, and, where configured, Redis, a Celery worker and
beat? Answers are cached for a few seconds per process, so the page is cheap to poll."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import app as celery_app
from feedback import mailing
from organisations.tasks import HEARTBEAT_KEY

WORKER_PING_TIMEOUT = 1.0
# Beat sends the heartbeat every minute; a few missed ones mean beat (and the sweeper) is down.
BEAT_STALE_AFTER = 5 * 60

_recent: dict = {}  # per-process cache: checks wanted -> (time, results)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason goes in the answer
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "up", "vendor": connection.vendor}


def check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"status": "not configured"}
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
            conn.default_channel.client.ping()
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "up"}


def check_worker() -> dict:
    if not settings.REDIS_URL:
        return {"status": "not configured", "note": "tasks run in-process"}
    try:
        replies = celery_app.control.ping(timeout=WORKER_PING_TIMEOUT, limit=1)
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    if not replies:
        return {"status": "down", "error": "no worker answered"}
    return {"status": "up"}


def check_beat() -> dict:
    if not settings.REDIS_URL:
        return {"status": "not configured"}
    last_beat = cache.get(HEARTBEAT_KEY)
    if last_beat is None:
        # Just started, or beat has never run against this Redis: not (yet) a failure.
        return {"status": "unknown", "note": "no heartbeat seen yet"}
    seconds_ago = round(time.time() - last_beat)
    status = "up" if seconds_ago < BEAT_STALE_AFTER else "down"
    return {"status": status, "seconds_since_heartbeat": seconds_ago}


def check_mail() -> dict:
    """Invitation e-mails that a send already failed on: the SMTP server is not taking them;
    they wait and go out once it does."""
    try:
        waiting = mailing.waiting_after_failures()
    except Exception as exc:
        return {"status": "down", "error": exc.__class__.__name__}
    if waiting:
        return {"status": "down", "error": "mail server not taking e-mails", "waiting": waiting}
    return {"status": "up"}


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "beat": check_beat,
    "mail": check_mail,
}


def run_checks(wanted) -> dict:
    results = {}
    for name in wanted:
        if name in ("worker", "beat") and results.get("redis", {}).get("status") == "down":
            # Without the broker no worker can answer; don't wait for the ping to time out.
            results[name] = {"status": "down", "error": "redis is down"}
        else:
            results[name] = CHECKS[name]()
    return results


@never_cache
@require_safe
def healthz(request):
    """200 when every configured component is up, 503 otherwise.

    ``?only=database,redis`` limits the checks, e.g. for a web container's own health check
    that should not fail because a worker is restarting.
    """
    asked = [name for name in request.GET.get("only", "").split(",") if name in CHECKS]
    wanted = tuple(name for name in CHECKS if name in asked) or tuple(CHECKS)
    now = time.monotonic()
    cached = _recent.get(wanted)
    if cached and now - cached[0] < settings.HEALTH_CACHE_SECONDS:
        results = cached[1]
    else:
        results = run_checks(wanted)
        _recent[wanted] = (now, results)
    healthy = all(result["status"] != "down" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **results}, status=200 if healthy else 503
    )
