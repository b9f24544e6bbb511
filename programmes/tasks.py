"""Celery tasks of the change programme."""

from celery import shared_task

from programmes import sizing
from programmes.updates import email_update


@shared_task(acks_late=True)
def send_update_emails(update_id: int) -> int:
    """E-mail an update to everyone it is for, each in their own language. Claims the update
    first, so a second delivery of this task sends nothing twice."""
    return email_update(update_id)


@shared_task
def size_invitations() -> int:
    """Re-size the teams that invite as their targets need, from the latest figures (daily)."""
    return sizing.size_sized_teams()
