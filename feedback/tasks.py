"""Celery tasks for feedback: thin, they load by id and call ordinary code."""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from feedback import imports, rollups
from feedback.models import DirtyMark, ImportJob, Response
from feedback.themes import retag_organisation
from programmes.models import Organisation

logger = logging.getLogger(__name__)
MAX_ROUNDS = 100  # of 500 marks each; the sweeper picks up anything beyond


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


def send(task, *args) -> bool:
    """Queue a task without letting a broker outage fail the request that asked for it."""
    try:
        task.apply_async(args, retry=False)
    except Exception:
        logger.warning("could not queue %s%s; it will be retried", task.name, args)
        return False
    return True


@shared_task(acks_late=True)
def retag_comments(organisation_id: int) -> int:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    tagged = retag_organisation(organisation)
    recompute_rollups(organisation_id)  # the theme counts follow the new tags
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


@shared_task
def send_weekly_digests() -> int:
    from feedback import digest

    return digest.send_all()


@shared_task(acks_late=True)
def send_reply(reply_id: int) -> bool:
    """Mail a lead's answer to the customer, once: the row is locked and marked sent in the
    same transaction."""
    from feedback import replies

    return replies.send(reply_id)


@shared_task
def send_pending_replies() -> int:
    """Beat's safety net: answers whose task was lost (Redis down, worker killed)."""
    from feedback import replies

    return replies.send_pending()


@shared_task
def sweep_theme_retags() -> int:
    """Beat's safety net for theme edits whose re-tagging task was lost."""
    from feedback.themes import organisations_owed_a_retag

    owed = list(organisations_owed_a_retag())
    for organisation_id in owed:
        send(retag_comments, organisation_id)
    return len(owed)
