"""Alerts about follow-ups go through a real SMTP server started by the test: the owner hears
at once in their language, is reminded on the due day, management hears of an overdue one, and
each of them once, however often the tasks run."""

import datetime as dt
import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from followups import tasks
from followups.models import FollowUp
from organisations import clock
from tests.factories import UserFactory
from tests.followup_data import answer


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(message["Subject"])))
        self.messages.append((envelope.rcpt_tos, subject))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(settings):
    port = free_port()
    handler = Inbox()
    handler.port = port
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    server.stop()


@pytest.fixture
def followup(org):
    # Without a language of their own people read the site's default (Dutch).
    org.lead.language = org.manager.language = "en"
    org.lead.save()
    org.manager.save()
    answer(org, org.team_a, 2, external_id="crm-1")
    return org


def test_the_owner_hears_at_once_in_their_own_language_and_once(followup, inbox):
    org = followup
    org.lead.language = "nl"
    org.lead.save()
    tasks.open_followups(org.organisation.pk)
    tasks.open_followups(org.organisation.pk)
    tasks.sweep_followups()
    assert inbox.messages == [(["lead@example.org"], "Een klant van Alpha wacht op een belletje")]


def test_a_team_without_a_lead_lets_management_know(org, inbox):
    answer(org, org.team_b, 2, external_id="crm-b")
    tasks.open_followups(org.organisation.pk)
    assert [to for to, _subject in inbox.messages] == [["manager@example.org"]]


def test_a_reminder_on_the_due_day_once(followup, inbox):
    org = followup
    tasks.open_followups(org.organisation.pk)
    today = clock.local_today(org.organisation)
    FollowUp.objects.update(due_on=today, opened_at=timezone.now() - dt.timedelta(days=2))
    tasks.sweep_followups()
    tasks.sweep_followups()
    reminders = [m for m in inbox.messages if m[1].startswith("Today is the last day")]
    assert reminders == [
        (["lead@example.org"], "Today is the last day to call back a customer of Alpha")
    ]


def test_an_overdue_follow_up_goes_to_management_once(followup, inbox):
    org = followup
    second_manager = UserFactory(organisation=org.organisation, role="management", language="nl")
    tasks.open_followups(org.organisation.pk)
    today = clock.local_today(org.organisation)
    FollowUp.objects.update(due_on=today - dt.timedelta(days=1))
    tasks.sweep_followups()
    tasks.sweep_followups()
    overdue = sorted(m for m in inbox.messages if m[0] != ["lead@example.org"])
    assert overdue == sorted(
        [
            (["manager@example.org"], "Overdue: a customer of Alpha was not called back in time"),
            ([second_manager.email], "Te laat: een klant van Alpha is niet op tijd teruggebeld"),
        ]
    )


def test_a_closed_follow_up_is_neither_reminded_nor_escalated(followup, inbox):
    org = followup
    tasks.open_followups(org.organisation.pk)
    today = clock.local_today(org.organisation)
    FollowUp.objects.update(
        due_on=today - dt.timedelta(days=1), state="closed", closed_at=timezone.now()
    )
    tasks.sweep_followups()
    assert len(inbox.messages) == 1  # only the opening


def test_an_alert_the_mail_server_refused_is_sent_by_the_next_sweep(followup, inbox, settings):
    org = followup
    settings.EMAIL_PORT = free_port()  # nothing listens there
    tasks.open_followups(org.organisation.pk)
    assert FollowUp.objects.get().opened_alert_at is None
    assert inbox.messages == []
    settings.EMAIL_PORT = inbox.port
    tasks.sweep_followups()
    assert [to for to, _subject in inbox.messages] == [["lead@example.org"]]
