"""Celery tasks of capture: thin, they load by id and call ordinary code."""

import datetime as dt

from celery import shared_task
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from feedback import imports, restamp
from feedback.mailing import send_invitations
from feedback.models import Response
from feedback.themes import organisations_owed_a_retag, retag_is_owed, retag_organisation
from organisations import claims
from organisations.enqueue import send
from organisations.models import ClockChange, Organisation

__all__ = ["send_invitations"]  # defined with the sending, registered here as well


@shared_task(acks_late=True)
def run_import(job_id: int) -> str:
    """Import an uploaded file, once however often the message comes: the job is claimed
    first; a worker that was killed leaves its claim free for the next delivery."""
    with claims.claimed(claims.IMPORT, job_id) as ours:
        if not ours:
            return "taken"  # another worker is importing it right now
        job = imports.claim(job_id, taking_over=connection.vendor == "postgresql")
        if job is None:
            return "gone"  # done by an earlier delivery of this task
        return imports.run_job(job)


@shared_task
def sweep_stale_imports(resend_after_seconds: float | None = None) -> int:
    """Beat's safety net for uploads: send again, once, what no worker has taken (or a killed
    one dropped); end what stayed unfinished for good. (``manage.py soak`` waits less.)"""
    wait = imports.QUEUED_TOO_LONG
    if resend_after_seconds is not None:
        wait = dt.timedelta(seconds=resend_after_seconds)
    owed, abandoned = imports.stale_jobs(resend_after=wait)
    for job_id in owed.values_list("pk", flat=True):
        if imports.mark_resent(job_id, owed):
            enqueue_import(job_id)
    return imports.fail(abandoned)


def enqueue_import(job_id: int) -> None:
    send(run_import, job_id)


MAX_RETAGS = 3  # in one task, while themes keep changing; the sweeper does any beyond


@shared_task(acks_late=True)
def retag_comments(organisation_id: int) -> int:
    """Re-tag the organisation's comments after its themes changed; the theme counts in the
    rollups follow (the re-tag marks the days it touched). Claimed first and only while still
    owed: of many messages for one change (several edits, a sweeper's resend), one re-tags,
    and again only if a theme changed while it ran."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    tagged = 0
    with claims.claimed(claims.RETAG, organisation_id) as ours:
        for _run in range(MAX_RETAGS if ours else 0):
            if not retag_is_owed(organisation):
                break
            tagged += retag_organisation(organisation)
    return tagged


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
def sweep_theme_retags(grace_seconds: float | None = None) -> int:
    """Beat's safety net for theme edits whose re-tagging task was lost."""
    grace = None if grace_seconds is None else dt.timedelta(seconds=grace_seconds)
    owed = [
        organisation_id
        for organisation_id in organisations_owed_a_retag(grace=grace)
        if not claims.is_claimed(claims.RETAG, organisation_id)  # running: it sees the edit
    ]
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
