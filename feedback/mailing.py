"""Sending invitation e-mails (and their one reminder) in the customer's language, through
Django's e-mail backend, each exactly once even when the task runs twice or a worker is killed.

Each e-mail is claimed by locking its row (``FOR UPDATE SKIP LOCKED``: a second worker takes
the next one), and marked sent in the same transaction. Over SMTP the message is handed over in
two steps around the commit: everything but the final dot before it, the dot after it. A worker
killed before the commit leaves the row waiting and the SMTP server drops the unfinished
message (so it goes out once, later); killed after it, the message is complete but for a dot
that a socket write away. The one window left is that write: microseconds, not a round trip.
"""

import datetime as dt
import logging
import smtplib
import socket

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from feedback.invitations import link_for, opt_out_link_for
from feedback.models import DirtyMark, Invitation
from feedback.signals import announce_after_commit
from organisations import clock
from organisations.models import Organisation

logger = logging.getLogger(__name__)
BATCH = 10_000


class SmtpTrouble(Exception):
    """The SMTP server is unreachable or refused a message: try again later."""


def compose(invitation, team, *, reminder: bool) -> EmailMessage:
    language = invitation.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "team": team,
            "organisation": team.organisation,
            "link": link_for(invitation),
            "opt_out": opt_out_link_for(invitation),
            "expires_on": timezone.localdate(invitation.expires_at),
            "reminder": reminder,
        }
        subject = render_to_string("feedback/email/invitation_subject.txt", context)
        body = render_to_string("feedback/email/invitation.txt", context)
    return EmailMessage(
        " ".join(subject.split()),
        body,
        to=[invitation.email],
        headers={
            "List-Unsubscribe": f"<{context['opt_out']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def _due(organisation, now):
    """First e-mails, then reminders, of the organisation that may go out now."""
    waiting = Invitation.objects.filter(organisation=organisation, expires_at__gt=now).exclude(
        email=""
    )
    yield waiting.filter(status=Invitation.Status.QUEUED)
    days = organisation.invitation_reminder_days
    if days:
        yield waiting.filter(
            status=Invitation.Status.SENT,
            answered_at__isnull=True,
            sent_at__lte=now - dt.timedelta(days=days),
        )


def _mark_sent(invitation, organisation, now) -> None:
    if invitation.status == Invitation.Status.QUEUED:
        invitation.status = Invitation.Status.SENT
        invitation.sent_at = now
        invitation.counted_at = now
        invitation.local_day = clock.local_day(clock.zone_for_stamping(organisation))(now)
        if not organisation.invitation_reminder_days:
            invitation.email = ""  # nothing more to send: forget the address now
    else:
        invitation.status = Invitation.Status.REMINDED
        invitation.reminded_at = now
        invitation.email = ""  # the invitation and its one reminder are out
    invitation.save(
        update_fields=["status", "sent_at", "reminded_at", "counted_at", "local_day", "email"]
    )


def _begin(smtp, message) -> bytes:
    """Hand the SMTP server everything of the message but the final dot."""
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(message.from_email, encoding)
    data = message.message().as_bytes(linesep="\r\n")
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(sender)
    if code != 250:
        raise SmtpTrouble(f"sender refused: {code} {reply!r}")
    for recipient in message.recipients():
        code, reply = smtp.rcpt(sanitize_address(recipient, encoding))
        if code not in (250, 251):
            raise SmtpTrouble(f"recipient refused: {code} {reply!r}")
    code, reply = smtp.docmd("data")
    if code != 354:
        raise SmtpTrouble(f"data refused: {code} {reply!r}")
    quoted = smtplib._quote_periods(data)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    smtp.send(quoted)


def _finish(smtp) -> None:
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise SmtpTrouble(f"message refused: {code} {reply!r}")


def _send_one(backend, organisation, teams, due, now) -> bool:
    """Claim, mark and send one e-mail of ``due``; False when none is left."""
    over_smtp = isinstance(backend, SMTPBackend)
    with transaction.atomic():
        invitation = due.select_for_update(skip_locked=True).order_by("pk").first()
        if invitation is None:
            return False
        team = teams[invitation.team_id]
        message = compose(invitation, team, reminder=invitation.status == Invitation.Status.SENT)
        fields = ["status", "email", "sent_at", "reminded_at", "counted_at", "local_day"]
        before = {name: getattr(invitation, name) for name in fields}
        _mark_sent(invitation, organisation, now)
        if over_smtp:
            _begin(backend.connection, message)
        else:
            backend.send_messages([message])
    if over_smtp:
        try:
            _finish(backend.connection)
        except Exception:
            # Refused at the very end: put it back as it was, to go out on a later run.
            with transaction.atomic():
                Invitation.objects.filter(pk=invitation.pk).update(**before)
                if before["local_day"] is None and invitation.local_day is not None:
                    # It no longer counts as sent on that day.
                    DirtyMark.objects.mark(
                        organisation,
                        {(invitation.team_id, invitation.local_day)},
                        later_periods=False,
                    )
            raise
    return True


def send_due(now=None) -> int:
    """Send every e-mail that is due (outside each organisation's quiet window); returns how
    many went out. Stops at the first SMTP failure: the rest wait for the next run."""
    now = now or timezone.now()
    erase_expired(now)
    sent = 0
    organisation_ids = (
        Invitation.objects.exclude(email="").values_list("organisation_id", flat=True).distinct()
    )
    organisations = [
        o
        for o in Organisation.objects.filter(pk__in=list(organisation_ids))
        if not o.in_quiet_window(now)
    ]
    if not organisations:
        return 0
    backend = get_connection(fail_silently=False)
    try:
        backend.open()
    except Exception as exc:
        _note_failure(organisations)
        raise SmtpTrouble(f"cannot reach the mail server: {exc.__class__.__name__}") from exc
    if isinstance(backend, SMTPBackend) and backend.connection.sock is not None:
        # The final dot is a write of its own: without this, Nagle's algorithm holds it back
        # until the server's delayed acknowledgement (40 ms a message).
        backend.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for organisation in organisations:
            teams = {team.pk: team for team in organisation.teams.all()}
            for team in teams.values():
                team.organisation = organisation
            dues = [due for due in _due(organisation, now) if due.exists()]
            if not dues:
                continue
            # First e-mails count in the response rate on the day they go out: that day of
            # every team is marked before sending (a superset; recounting is idempotent), so
            # no transaction per e-mail has to.
            today = clock.local_day(clock.zone_for_stamping(organisation))(now)
            DirtyMark.objects.mark(
                organisation, {(team_id, today) for team_id in teams}, later_periods=False
            )
            sent_before = sent
            try:
                for due in dues:
                    while sent < BATCH and _send_one(backend, organisation, teams, due, now):
                        sent += 1
            except (smtplib.SMTPException, OSError, SmtpTrouble):
                _note_failure([organisation])
                raise
            finally:
                if sent > sent_before:
                    announce_after_commit(organisation)
    finally:
        try:
            backend.close()
        except Exception:
            logger.debug("closing the SMTP connection failed", exc_info=True)
    return sent


def _note_failure(organisations) -> None:
    """Count a failed try on the oldest waiting e-mail, so /healthz can say mail is stuck."""
    for organisation in organisations:
        oldest = (
            Invitation.objects.filter(organisation=organisation, status=Invitation.Status.QUEUED)
            .exclude(email="")
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if oldest is not None:
            Invitation.objects.filter(pk=oldest).update(attempts=F("attempts") + 1)


def erase_expired(now) -> int:
    """Addresses of invitations that expired before their e-mails went out are forgotten."""
    return (
        Invitation.objects.filter(expires_at__lte=now)
        .exclude(email="")
        .update(email="", status=Invitation.Status.CLOSED)
    )


def waiting_after_failures() -> int:
    """E-mails waiting that a send has already failed on (the SMTP server is down)."""
    return (
        Invitation.objects.filter(status=Invitation.Status.QUEUED, attempts__gt=0)
        .exclude(email="")
        .count()
    )


@shared_task(name="feedback.tasks.send_invitations", acks_late=True)
def send_invitations() -> int:
    """Send what is due; beat runs it every minute, ingest once its contacts are committed."""
    try:
        return send_due()
    except SmtpTrouble:
        logger.warning("invitation e-mails wait: the mail server is not taking them", exc_info=True)
        return 0
