"""Periodic housekeeping run by Celery beat."""

import time

from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

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
