"""Celery tasks of the KPI engine: recompute what capture marked, and sweep what was left."""

from celery import shared_task
from django.db import OperationalError

from feedback.models import DirtyMark
from kpis import rollups
from organisations.models import Organisation

MAX_ROUNDS = 500  # of 100 marks each, a transaction each; the sweeper picks up anything beyond


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_rollups(organisation_id: int) -> int:
    """Recompute what ingest marked for one organisation; safe to run twice or in parallel."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    done = 0
    for _round in range(MAX_ROUNDS):
        marks = rollups.recompute_dirty(organisation)
        done += marks
        if not marks:
            break
    return done


@shared_task(acks_late=True)
def sweep_dirty_rollups() -> int:
    """Beat's safety net: whatever a lost message or a killed worker left marked."""
    organisation_ids = DirtyMark.objects.values_list("organisation_id", flat=True).distinct()
    return sum(recompute_rollups(organisation_id) for organisation_id in list(organisation_ids))
