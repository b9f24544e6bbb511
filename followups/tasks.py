"""Celery tasks of the follow-ups: thin, idempotent, safe to run twice."""

from celery import shared_task

from followups import alerts, opening
from organisations.models import Organisation


@shared_task(acks_late=True)
def open_followups(organisation_id: int) -> int:
    """New answers were stored: open their follow-ups and announce them."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return 0
    opened = opening.open_for(organisation)
    alerts.send_due(organisation)
    return opened


@shared_task
def sweep_followups() -> int:
    """Beat's safety net and clock: follow-ups whose task was lost, reminders on the due day,
    escalations of overdue ones."""
    sent = 0
    for organisation in Organisation.objects.all():
        opening.open_for(organisation)
        sent += alerts.send_due(organisation)
    return sent
