"""Periodic housekeeping run by Celery beat."""

import time

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

from config.health import HEARTBEAT_KEY


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
def send_update_emails(update_id: int) -> int:
    """E-mail an update to everyone it is for, each in their own language. Claims the update
    first, so a second delivery of this task sends nothing twice."""
    from programmes.updates import email_update

    return email_update(update_id)
