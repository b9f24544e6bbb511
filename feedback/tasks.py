"""Celery tasks of capture: thin, they load by id and call ordinary code."""

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from feedback import imports, restamp
from feedback.mailing import send_invitations
from feedback.models import ImportJob, Response
from feedback.themes import organisations_owed_a_retag, retag_organisation
from organisations.enqueue import send
from organisations.models import ClockChange, Organisation

__all__ = ["send_invitations"]  # defined with the sending, registered here as well


@shared_task
def run_import(job_id: int) -> str:
    job = ImportJob.objects.select_related("organisation").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return "gone"  # already done by an earlier delivery of this task
    return imports.run_job(job)


@shared_task
def sweep_stale_imports() -> int:
    """Beat's safety net for uploads: send again what no worker took, end what one dropped."""
    waiting, abandoned = imports.stale_jobs()
    for job_id in waiting.values_list("pk", flat=True):
        enqueue_import(job_id)
    return imports.fail(abandoned)


def enqueue_import(job_id: int) -> None:
    send(run_import, job_id)


@shared_task(acks_late=True)
def retag_comments(organisation_id: int) -> int:
    """Re-tag the organisation's comments after its themes changed; the theme counts in the
    rollups follow (the re-tag marks the days it touched)."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    return retag_organisation(organisation)


@shared_task
def purge_contact_emails() -> int:
    """Forget contact e-mails past each organisation's retention period."""
    now = timezone.now()
    forgotten = 0
    for organisation in Organisation.objects.only("pk", "contact_retention_days"):
        expired = Response.objects.contact_emails_past_retention(organisation, now)
        forgotten += expired.update(contact_email="")
    return forgotten


@shared_task
def sweep_theme_retags() -> int:
    """Beat's safety net for theme edits whose re-tagging task was lost."""
    owed = list(organisations_owed_a_retag())
    for organisation_id in owed:
        send(retag_comments, organisation_id)
    return len(owed)


@shared_task(acks_late=True)
def restamp_local_days(change_id: int) -> bool:
    """After a change of time zone: every row's local day on the new clock."""
    return restamp.restamp(change_id)


@shared_task
def sweep_clock_changes() -> int:
    """Beat's safety net: restamping that a lost message or a killed worker left unfinished."""
    stalled = timezone.now() - restamp.GRACE
    waiting = (
        ClockChange.objects.unfinished()
        .filter(restamped_at__isnull=True, requested_at__lt=stalled)
        .filter(Q(progressed_at__isnull=True) | Q(progressed_at__lt=stalled))
    )
    owed = list(waiting.values_list("pk", flat=True))
    for change_id in owed:
        send(restamp_local_days, change_id)
    return len(owed)
