"""Celery tasks of the ideas: thin, they load by id and call ordinary code."""

from celery import shared_task

from ideas.notifications import email_proposer


@shared_task(acks_late=True)
def notify_proposer(event_id: int) -> int:
    """E-mail the proposer about a step of their idea; at most once per step."""
    return email_proposer(event_id)
