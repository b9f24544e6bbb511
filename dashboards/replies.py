"""Answers from a team lead to a customer who left a contact address."""

import datetime as dt
import logging
import zoneinfo

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dashboards.digest import one_line
from dashboards.models import Reply
from feedback.models import Response

# A task normally sends within seconds; the sweeper leaves younger answers to it.
GRACE = dt.timedelta(minutes=2)
# A mail server that refuses an address keeps refusing it: after this many failures the
# answer shows as not sent and the sweeper stops trying.
MAX_ATTEMPTS = 5
logger = logging.getLogger(__name__)


def can_see_contact_email(user, response) -> bool:
    return Response.objects.contact_emails_visible_to(user).filter(pk=response.pk).exists()


def can_answer(user, response) -> bool:
    """Only a lead of the response's team (or management), and only when the customer left a
    contact address with their consent."""
    return bool(response.contact_email) and can_see_contact_email(user, response)


def pending():
    cutoff = timezone.now() - GRACE
    return (
        Reply.objects.filter(sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS)
        .exclude(response__contact_email="")
        .values_list("pk", flat=True)
    )


def send_pending() -> int:
    """Send every answer still waiting; one that fails does not hold up the others."""
    sent = 0
    for reply_id in list(pending()):
        try:
            sent += send(reply_id)
        except Exception:  # a refused address, a broken connection: count it and go on
            logger.exception("answer %s to a customer could not be sent", reply_id)
            Reply.objects.filter(pk=reply_id).update(attempts=F("attempts") + 1)
    return sent


def send(reply_id: int) -> bool:
    with transaction.atomic():
        reply = (
            Reply.objects.select_for_update(of=("self",))
            .select_related("response__team__organisation", "author")
            .filter(pk=reply_id, sent_at__isnull=True)
            .first()
        )
        if reply is None:
            return False  # sent already, or gone
        response = reply.response
        if not response.contact_email:
            return False  # the address was forgotten (retention) before the answer could go
        zone = zoneinfo.ZoneInfo(response.team.organisation.time_zone)
        with translation.override(response.language or None), timezone.override(zone):
            context = {"reply": reply, "response": response, "team": response.team}
            subject = render_to_string("dashboards/email/reply_subject.txt", context)
            body = render_to_string("dashboards/email/reply.txt", context)
        EmailMessage(one_line(subject), body, to=[response.contact_email]).send()
        reply.sent_at = timezone.now()
        reply.save(update_fields=["sent_at"])
        return True
