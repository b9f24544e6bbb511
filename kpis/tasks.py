"""Celery tasks of the KPI engine: recompute what capture marked, and sweep what was left."""

from celery import shared_task
from django.db import OperationalError

from feedback.models import DirtyMark
from kpis import rollups
from organisations.models import ClockChange, Organisation

BATCH = 100  # marks a transaction
MAX_ROUNDS = 500  # of BATCH marks each; the sweeper picks up anything beyond


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_rollups(organisation_id: int) -> int:
    """Recompute what ingest marked for one organisation; safe to run twice or in parallel.
    One new answer is one transaction (``rollups.recompute_dirty``): a batch that was not
    full leaves nothing of its time behind, and what was marked since sent its own message."""
    # Only its id is used: an organisation that is gone has no marks left to read.
    organisation = Organisation(pk=organisation_id)
    done = 0
    for _round in range(MAX_ROUNDS):
        marks = rollups.recompute_dirty(organisation, limit=BATCH)
        done += marks
        if marks < BATCH:
            break
    return done


@shared_task(acks_late=True)
def sweep_dirty_rollups() -> int:
    """Beat's safety net: whatever a lost message or a killed worker left marked."""
    marked = set(DirtyMark.objects.values_list("organisation_id", flat=True).distinct())
    restamped = ClockChange.objects.filter(restamped_at__isnull=False).unfinished()
    marked |= set(restamped.values_list("organisation_id", flat=True))
    return sum(recompute_rollups(organisation_id) for organisation_id in sorted(marked))
