"""Invitation e-mails through a real SMTP server (aiosmtpd, started here): both languages, the
one reminder, one-click opt-out, the address erased after the reminder, SMTP down and back, and
a worker killed mid-batch that loses and doubles nothing."""

import datetime as dt
import re
import time
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from config import health
from feedback import invitations, mailing
from feedback.invitations import Contact
from feedback.models import Invitation, Response, Sampling
from tests.conftest import start_worker
from tests.smtp_server import SmtpServer


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.SITE_URL = "https://kk.example.org"
    yield server
    server.stop()


def queue(org, n, language="nl", prefix="c"):
    Sampling.objects.get_or_create(team=org.team_a, defaults={"mode": Sampling.Mode.EVERY})
    contacts = [
        Contact(
            team_id=org.team_a.pk,
            customer_hash=f"{prefix}{i:063x}",
            language=language,
            email=f"{prefix}{i}@example.org",
        )
        for i in range(n)
    ]
    return [o.invitation for o in invitations.invite(org.organisation, contacts, by_email=True)]


def link_in(message) -> str:
    return re.search(r"https://kk\.example\.org(/i/[\w-]+/)\r?\n", message.get_content()).group(1)


@pytest.mark.django_db
def test_invitations_and_their_reminder_go_out_in_the_customers_language(org, smtp):
    english = queue(org, 1, "en", prefix="e")[0]
    dutch = queue(org, 1, "nl", prefix="d")[0]
    assert mailing.send_due() == 2
    by_address = {m["To"]: m for m in smtp.messages}
    assert by_address["e0@example.org"]["Subject"] == "How did Alpha help you?"
    assert by_address["d0@example.org"]["Subject"] == "Hoe heeft Alpha je geholpen?"
    stop = f"<https://kk.example.org/i/{english.token}/stop/>"
    assert by_address["e0@example.org"]["List-Unsubscribe"] == stop
    assert by_address["e0@example.org"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/i/{dutch.token}/" in by_address["d0@example.org"].get_content()
    assert mailing.send_due() == 0  # nothing twice
    Invitation.objects.update(sent_at=timezone.now() - dt.timedelta(days=3, minutes=1))
    assert mailing.send_due() == 2
    reminders = {m["To"]: m["Subject"] for m in smtp.messages[2:]}
    assert reminders == {
        "e0@example.org": "Reminder: how did Alpha help you?",
        "d0@example.org": "Herinnering: hoe heeft Alpha je geholpen?",
    }
    # The invitation and its one reminder are out: the address is gone.
    assert set(Invitation.objects.values_list("status", "email")) == {("reminded", "")}
    assert mailing.send_due(now=timezone.now() + dt.timedelta(days=10)) == 0


@pytest.mark.django_db
def test_an_answer_or_an_opt_out_stops_the_reminder(org, smtp):
    queue(org, 2)
    mailing.send_due()
    customer = Client()
    first, second = smtp.messages
    page = customer.get(link_in(first))
    assert '<html lang="nl">' in page.content.decode()  # the customer's language
    answered = customer.post(link_in(first), {"score": "9"})
    assert "Bedankt!" in answered.content.decode()
    stop = second["List-Unsubscribe"].strip("<>").removeprefix("https://kk.example.org")
    assert customer.post(stop).status_code == 200  # the mail program's one-click POST
    Invitation.objects.update(sent_at=timezone.now() - dt.timedelta(days=4))
    assert mailing.send_due() == 0
    assert not Invitation.objects.exclude(email="").exists()
    assert Response.objects.get().invitation is not None


@pytest.mark.django_db
def test_without_reminders_the_address_is_erased_once_sent(org, smtp):
    org.organisation.invitation_reminder_days = 0
    org.organisation.save()
    queue(org, 1)
    assert mailing.send_due() == 1
    assert Invitation.objects.get().email == ""


@pytest.mark.django_db
def test_nothing_goes_out_in_the_quiet_window(org, smtp):
    org.organisation.quiet_from = dt.time(0, 0)
    org.organisation.quiet_until = dt.time(23, 59, 59)
    org.organisation.save()
    queue(org, 1)
    assert mailing.send_due() == 0
    assert Invitation.objects.get().status == "queued"


@pytest.mark.django_db
def test_while_smtp_is_down_invitations_wait_and_healthz_says_so(org, smtp, settings):
    queue(org, 3)
    smtp.stop()
    assert mailing.send_invitations() == 0
    assert Invitation.objects.filter(status="queued").count() == 3
    assert health.check_mail()["status"] == "down"
    smtp.controller = type(smtp.controller)(smtp.inbox, hostname="127.0.0.1", port=smtp.port)
    smtp.start()
    assert mailing.send_invitations() == 3
    assert health.check_mail() == {"status": "up"}
    assert len(smtp.messages) == 3


@pytest.mark.django_db
def test_a_message_refused_at_its_end_waits_and_goes_out_later(org, smtp):
    queue(org, 2)
    smtp.inbox.refuse = 1
    assert mailing.send_invitations() == 0
    refused = Invitation.objects.get(attempts=1)
    assert (refused.status, refused.sent_at, refused.local_day) == ("queued", None, None)
    assert mailing.send_invitations() == 2
    assert sorted(m["To"] for m in smtp.messages) == ["c0@example.org", "c1@example.org"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(org, smtp, redis_url, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share an in-memory SQLite test database")
    from config.celery import app

    made = queue(org, 120)
    app.conf.task_always_eager = False
    name = f"test-mail-{uuid.uuid4().hex[:8]}"
    env = {key: str(value) for key, value in smtp.settings().items()}
    env["SITE_URL"] = "https://kk.example.org"
    first = start_worker(name, redis_url, tmp_path, "-1", **env)
    try:
        mailing.send_invitations.apply_async(queue=name)
        deadline = time.monotonic() + 60
        while smtp.inbox.count() < 15 and time.monotonic() < deadline:
            time.sleep(0.005)
        first.stop(kill=True)
    finally:
        first.stop(kill=True)
    delivered_before = smtp.inbox.count()
    assert 15 <= delivered_before < 120, first.log.read_text()[-2000:]
    second = start_worker(name, redis_url, tmp_path, "-2", **env)
    try:
        # Beat's run a minute later; and a duplicate delivery of the same task at once.
        runs = [mailing.send_invitations.apply_async(queue=name) for _ in range(2)]
        for run in runs:
            run.get(timeout=120)
    finally:
        second.stop()
    tokens = Counter(link_in(m).split("/")[2] for m in smtp.messages)
    assert set(tokens) == {i.token for i in made}
    assert max(tokens.values()) == 1
    assert Invitation.objects.filter(status="sent").count() == 120
