"""Periodic housekeeping run by Celery beat."""

import time

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from organisations import webhooks

# /healthz reads it (config/health.py).
HEARTBEAT_KEY = "beat-heartbeat"


@shared_task
def record_heartbeat() -> float:
    """Beat sends this every minute; /healthz shows how long ago a worker last ran it."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(acks_late=True)
def deliver_webhooks(organisation_id: int) -> int:
    """Events were emitted: post what is due. Each delivery is claimed first, so a second
    run (a redelivered message) posts nothing twice."""
    return webhooks.deliver_due(organisation_id)


@shared_task
def sweep_webhooks() -> int:
    """Beat's safety net and retry clock: deliveries whose backoff has passed or whose worker
    died mid-way."""
    return webhooks.deliver_due()


@shared_task
def forget_old_webhook_comments() -> int:
    return webhooks.forget_old_comments()
