"""Answers from a team lead to a customer who left a contact address."""

import datetime as dt

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from feedback.models import Reply

# A task normally sends within seconds; the sweeper leaves younger answers to it.
GRACE = dt.timedelta(minutes=2)


def pending():
    cutoff = timezone.now() - GRACE
    return (
        Reply.objects.filter(sent_at__isnull=True, created_at__lt=cutoff)
        .exclude(response__contact_email="")
        .values_list("pk", flat=True)
    )


def send(reply_id: int) -> bool:
    with transaction.atomic():
        reply = (
            Reply.objects.select_for_update(of=("self",))
            .select_related("response__team", "author")
            .filter(pk=reply_id, sent_at__isnull=True)
            .first()
        )
        if reply is None:
            return False  # sent already, or gone
        response = reply.response
        if not response.contact_email:
            return False  # the address was forgotten (retention) before the answer could go
        with translation.override(response.language or None):
            context = {"reply": reply, "response": response, "team": response.team}
            subject = render_to_string("feedback/email/reply_subject.txt", context).strip()
            body = render_to_string("feedback/email/reply.txt", context)
        EmailMessage(subject, body, to=[response.contact_email]).send()
        reply.sent_at = timezone.now()
        reply.save(update_fields=["sent_at"])
        return True
