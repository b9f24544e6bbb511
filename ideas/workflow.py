"""Writes that span an idea and its history: moving it on (with the event that notifies the
proposer), and voting. Views check permissions first (``ideas/rules.py``)."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ideas import tasks
from ideas.models import REACHED_AT, Idea, IdeaEvent, IdeaStatus, IdeaVote
from organisations import webhooks
from organisations.enqueue import send
from organisations.models import WebhookEvent


class NotAllowedMove(ValueError):
    pass


def move(idea: Idea, *, to_status: str, actor, reason: str = "") -> IdeaEvent:
    """Move the idea on and record who did it and why; the proposer is told by e-mail once
    the transaction commits."""
    with transaction.atomic():
        locked = Idea.objects.select_for_update().get(pk=idea.pk)
        if to_status not in locked.next_statuses:
            raise NotAllowedMove(to_status)
        now = timezone.now()
        event = IdeaEvent.objects.create(
            idea=locked,
            actor=actor,
            from_status=locked.status,
            to_status=to_status,
            reason=reason,
        )
        locked.status = to_status
        fields = ["status"]
        setattr(locked, REACHED_AT[IdeaStatus(to_status)], now)
        fields.append(REACHED_AT[IdeaStatus(to_status)])
        if to_status == IdeaStatus.DECLINED:
            locked.decline_reason = reason
            fields.append("decline_reason")
        locked.save(update_fields=fields)
        if to_status in (IdeaStatus.ACCEPTED, IdeaStatus.DECLINED):
            _tell_webhooks(locked, event)
        transaction.on_commit(lambda: send(tasks.notify_proposer, event.pk))
    for field in fields:
        setattr(idea, field, getattr(locked, field))
    return event


def _tell_webhooks(idea, event) -> None:
    webhooks.emit(
        idea.organisation,
        WebhookEvent.IDEA_DECIDED,
        f"idea:{event.pk}",
        {
            "idea": idea.pk,
            "title": idea.title,
            "team": idea.team.slug if idea.team_id else None,
            "decision": event.to_status,
            "reason": event.reason,
            "url": settings.SITE_URL + reverse("ideas:detail", args=[idea.pk]),
        },
    )


def vote(idea: Idea, voter) -> bool:
    """Give the person's vote; a second vote counts once. True when a vote was added."""
    try:
        with transaction.atomic():
            IdeaVote.objects.create(idea=idea, voter=voter)
    except IntegrityError:
        return False
    return True


def withdraw_vote(idea: Idea, voter) -> bool:
    deleted, _ = IdeaVote.objects.filter(idea=idea, voter=voter).delete()
    return bool(deleted)
