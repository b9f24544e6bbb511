"""Welcome e-mails through a real SMTP server started by the test: the person's language, a
link that works once and expires, resend, who has not joined (organisations/welcome.py)."""

import datetime as dt
import email
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.urls import reverse
from django.utils import timezone

from organisations import welcome
from organisations.models import User
from organisations.tasks import send_pending_welcomes
from tests.factories import UserFactory


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "http://testserver"
    yield inbox
    controller.stop()


def body_of(message) -> str:
    return message.get_payload(decode=True).decode()


def link_in(message) -> str:
    return re.search(r"http://testserver(/accounts/welcome/\S+/)", body_of(message)).group(1)


@pytest.fixture
def newcomer(org):
    return UserFactory(
        username="nina@acme.example",
        email="nina@acme.example",
        first_name="Nina",
        organisation=org.organisation,
        language="nl",
        teams=[org.team_a],
        password=None,
    )


def welcome_by(client, person, by, django_capture_on_commit_callbacks):
    client.force_login(by)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organisations:person_welcome", args=[person.pk]))
    client.logout()


def test_a_welcome_email_in_dutch_sets_a_password_once_and_logs_in(
    client, org, smtp, newcomer, django_capture_on_commit_callbacks
):
    welcome_by(client, newcomer, org.hr, django_capture_on_commit_callbacks)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "nina@acme.example"
    assert "Welkom" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "7 dagen" in body_of(message)
    link = link_in(message)

    assert client.get(link).status_code == 200
    response = client.post(
        link,
        {"new_password1": "Zeer-lang-wachtwoord-42", "new_password2": "Zeer-lang-wachtwoord-42"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    newcomer.refresh_from_db()
    assert newcomer.check_password("Zeer-lang-wachtwoord-42") and newcomer.has_joined

    client.logout()
    again = client.get(link)
    assert again.status_code == 400
    assert "no longer works" in again.content.decode()


def test_a_welcome_link_expires_after_the_set_number_of_days(
    client, org, smtp, newcomer, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.WELCOME_LINK_DAYS = 2
    welcome_by(client, newcomer, org.manager, django_capture_on_commit_callbacks)
    link = link_in(smtp.messages[0])
    later = dt.datetime.now() + dt.timedelta(days=2, hours=1)
    monkeypatch.setattr(welcome.tokens, "_now", lambda: later)
    assert client.get(link).status_code == 400
    monkeypatch.setattr(welcome.tokens, "_now", lambda: later - dt.timedelta(hours=2))
    assert client.get(link).status_code == 200


def test_a_resent_welcome_replaces_the_earlier_link(
    client, org, smtp, newcomer, django_capture_on_commit_callbacks
):
    welcome_by(client, newcomer, org.manager, django_capture_on_commit_callbacks)
    first = link_in(smtp.messages[0])
    welcome_by(client, newcomer, org.manager, django_capture_on_commit_callbacks)
    second = link_in(smtp.messages[1])
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_a_tampered_link_is_refused(
    client, org, smtp, newcomer, django_capture_on_commit_callbacks
):
    welcome_by(client, newcomer, org.manager, django_capture_on_commit_callbacks)
    link = link_in(smtp.messages[0])
    assert client.get(link[:-3] + "xx/").status_code == 400
    other_uid = link.replace(link.split("/")[3], "OTk5OTk")
    assert client.get(other_uid).status_code == 400


def test_everybody_who_has_not_joined_is_welcomed_once_even_if_sent_twice(
    client, org, smtp, newcomer, django_capture_on_commit_callbacks
):
    User.objects.filter(pk__in=[org.manager.pk, org.hr.pk]).update(last_login=timezone.now())
    client.force_login(org.manager)
    User.objects.filter(pk=org.manager.pk).update(last_login=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("organisations:welcome_not_joined"))
    for callback in callbacks:
        callback()
        callback()  # the same message delivered twice
    waiting = set(User.objects.not_joined().filter(organisation=org.organisation))
    sent_to = [message["To"] for message in smtp.messages]
    assert sorted(sent_to) == sorted(person.email for person in waiting)
    assert newcomer.email in sent_to
    assert send_pending_welcomes() == 0  # nothing left over for the sweeper


def test_a_lost_welcome_message_is_sent_by_the_sweeper(client, org, smtp, newcomer):
    User.objects.filter(pk=newcomer.pk).update(
        welcome_requested_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert send_pending_welcomes() == 1
    assert [message["To"] for message in smtp.messages] == [newcomer.email]


def test_a_new_person_added_with_a_welcome_gets_it_in_their_language(
    client, org, smtp, django_capture_on_commit_callbacks
):
    client.force_login(org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("organisations:person_create"),
            {
                "first_name": "Eva",
                "email": "eva@acme.example",
                "role": "employee",
                "language": "en",
                "teams": [org.team_a.pk],
                "welcome": "1",
            },
        )
    assert len(smtp.messages) == 1
    assert "Choose your password" in body_of(smtp.messages[0])
