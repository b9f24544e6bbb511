"""Periodic housekeeping run by Celery beat, and welcome e-mails."""

import datetime as dt
import time

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from organisations import webhooks, welcome
from organisations.models import User

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


@shared_task(acks_late=True)
def send_welcome_emails(person_ids: list[int]) -> int:
    return welcome.send_welcomes(person_ids)


@shared_task(acks_late=True)
def send_pending_welcomes() -> int:
    """Beat: welcome e-mails asked for whose message was lost (broker down, worker killed)."""
    waiting = User.objects.filter(
        is_active=True,
        welcome_requested_at__lt=timezone.now() - dt.timedelta(minutes=2),
    ).values_list("pk", flat=True)
    return welcome.send_welcomes(list(waiting))
