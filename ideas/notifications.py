"""Telling the proposer what happened to their idea: an e-mail in their own language (their
choice, or the site's default), sent at most once per step; and the notices on their home page."""

import datetime as dt

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from ideas.models import IdeaEvent

NOTICE_DAYS = 30


def email_proposer(event_id: int) -> int:
    """E-mail the proposer about one step of their idea. The step is claimed first, so a
    second run of the task (a redelivery) sends nothing. Returns the number of e-mails sent."""
    claimed = IdeaEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return 0
    event = IdeaEvent.objects.select_related(
        "idea__proposer", "idea__team", "idea__organisation", "actor"
    ).get(pk=event_id)
    proposer = event.idea.proposer
    if proposer is None or not proposer.email or not proposer.is_active:
        return 0
    if event.actor_id == proposer.pk:
        return 0  # they did it themselves
    language = proposer.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "event": event,
            "idea": event.idea,
            "person": proposer,
            "status": event.get_to_status_display(),
            "url": settings.SITE_URL + reverse("ideas:detail", args=[event.idea_id]),
        }
        subject = render_to_string("ideas/email/status_subject.txt", context)
        body = render_to_string("ideas/email/status_body.txt", context)
    mail.EmailMessage(
        " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [proposer.email]
    ).send()
    return 1


def notices_for(user, now=None):
    """Recent steps others took with the person's ideas, for their home page."""
    since = (now or timezone.now()) - dt.timedelta(days=NOTICE_DAYS)
    return (
        IdeaEvent.objects.filter(
            idea__proposer=user,
            idea__organisation=user.organisation_id,
            created_at__gte=since,
        )
        .exclude(actor=user)
        .select_related("idea", "actor")
        .order_by("-created_at", "-pk")[:5]
    )
