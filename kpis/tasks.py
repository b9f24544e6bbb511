"""Celery tasks of the KPI engine: recompute what capture marked, and sweep what was left."""

from celery import shared_task
from django.db import OperationalError

from feedback.models import DirtyMark
from kpis import rollups
from organisations.models import ClockChange, Organisation

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
    finish_clock_changes(organisation)
    return done


def finish_clock_changes(organisation) -> None:
    """A change of time zone is done once every row is restamped and no mark set by then is
    left: the figures are on the new clock. Marks set later (new rows) do not hold it up."""
    restamped = list(
        ClockChange.objects.filter(organisation=organisation, restamped_at__isnull=False)
        .unfinished()
        .values_list("pk", "restamped_at")
    )
    for change_id, restamped_at in restamped:  # read before the marks: none can slip between
        marks = DirtyMark.objects.filter(organisation=organisation, marked_at__lte=restamped_at)
        if not marks.exists():
            ClockChange(pk=change_id, organisation=organisation).finish()


@shared_task(acks_late=True)
def sweep_dirty_rollups() -> int:
    """Beat's safety net: whatever a lost message or a killed worker left marked."""
    marked = set(DirtyMark.objects.values_list("organisation_id", flat=True).distinct())
    restamped = ClockChange.objects.filter(restamped_at__isnull=False).unfinished()
    marked |= set(restamped.values_list("organisation_id", flat=True))
    return sum(recompute_rollups(organisation_id) for organisation_id in sorted(marked))
