"""Celery tasks for feedback: thin, they load by id and call ordinary code."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import rollups
from feedback.imports import import_file
from feedback.models import DirtyMark, ImportJob, Response
from feedback.themes import retag_organisation
from programmes.models import Organisation

MAX_ROUNDS = 100  # of 500 marks each; the sweeper picks up anything beyond

UNEXPECTED = _(
    "The import stopped on an unexpected error; nothing was imported. We have been told."
)


@shared_task
def run_import(job_id: int) -> str:
    job = ImportJob.objects.select_related("organisation").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return "gone"  # already done by an earlier delivery of this task

    def progress(rows_checked):
        if rows_checked is None:
            ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.WRITING)
        else:
            ImportJob.objects.filter(pk=job_id).update(rows_checked=rows_checked)

    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.VALIDATING)
    try:
        outcome = import_file(
            job.organisation, job.kind, bytes(job.content), job.filename, progress=progress
        )
    except Exception:
        # Never leave the page polling a job that will not finish; the error goes to the log.
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            errors=[{"row": 0, "field": "", "message": str(UNEXPECTED)}],
            error_count=1,
            content=b"",
            finished_at=timezone.now(),
        )
        raise
    job.rows_total = job.rows_checked = outcome.rows_total
    job.errors = [error.as_dict() for error in outcome.errors]
    job.error_count = outcome.error_count
    if outcome.ok:
        job.status = ImportJob.Status.DONE
        job.rows_created = outcome.result.created
        job.rows_duplicate = outcome.result.duplicates
    else:
        job.status = ImportJob.Status.FAILED
    job.content = b""  # the rows live in their tables now; the upload is not kept
    job.finished_at = timezone.now()
    job.save()
    return job.status


@shared_task
def retag_comments(organisation_id: int) -> int:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return retag_organisation(organisation) if organisation else 0


@shared_task
def purge_contact_emails() -> int:
    """Forget contact e-mails past each organisation's retention period."""
    now = timezone.now()
    forgotten = 0
    for organisation in Organisation.objects.only("pk", "contact_retention_days"):
        cutoff = now - timezone.timedelta(days=organisation.contact_retention_days)
        forgotten += (
            Response.objects.filter(organisation=organisation, created_at__lt=cutoff)
            .exclude(contact_email="")
            .update(contact_email="")
        )
    return forgotten


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
