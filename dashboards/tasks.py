"""Celery tasks of the dashboards: the weekly digest and answers to customers."""

from celery import shared_task

from dashboards import digest, praise, replies


@shared_task
def send_weekly_digests() -> int:
    return digest.send_all()


@shared_task(acks_late=True)
def send_reply(reply_id: int) -> bool:
    """Mail a lead's answer to the customer, once: the row is locked and marked sent in the
    same transaction."""
    return replies.send(reply_id)


@shared_task
def send_pending_replies() -> int:
    """Beat's safety net: answers whose task was lost (Redis down, worker killed)."""
    return replies.send_pending()


@shared_task(acks_late=True)
def send_praise(praise_id: int) -> int:
    """Mail praise passed on; a second run sends nothing (the praise is claimed first)."""
    return praise.send(praise_id)
