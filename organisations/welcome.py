"""Welcome e-mails: a link, in the person's language, with which a new person chooses their
password. The link works once (choosing a password, or a newer e-mail, changes its token) and
expires after ``WELCOME_LINK_DAYS``."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from organisations.models import User


class WelcomeTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens (signed with SECRET_KEY, void once the password changes or the
    person logs in), with their own salt and lifetime, and void once a newer e-mail is sent."""

    key_salt = "organisations.welcome.WelcomeTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        welcomed = "" if user.welcomed_at is None else user.welcomed_at.timestamp()
        return f"{super()._make_hash_value(user, timestamp)}{welcomed}{user.is_active}"

    def check_token(self, user, token):
        # Django's check_token measures age against PASSWORD_RESET_TIMEOUT; a welcome link has
        # its own lifetime, so the same checks are made here with that one.
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        secrets = [self.secret, *self.secret_fallbacks]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in secrets
        ):
            return False
        return (self._num_seconds(self._now()) - ts) <= lifetime().total_seconds()


tokens = WelcomeTokenGenerator()


def lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.WELCOME_LINK_DAYS)


def link_for(person) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    path = reverse("welcome", args=[uid, tokens.make_token(person)])
    return settings.SITE_URL.rstrip("/") + path


def request_welcome(people) -> list[int]:
    """Mark people to be welcomed (again); a worker sends the e-mails (``send_welcomes``)."""
    ids = [person.pk for person in people if person.is_active and person.email]
    User.objects.filter(pk__in=ids).update(welcome_requested_at=timezone.now())
    return ids


def send_welcomes(person_ids) -> int:
    """Send the welcome e-mail to each person still waiting for one. Each is claimed first, so
    a message delivered twice sends once."""
    sent = 0
    for pk in person_ids:
        now = timezone.now()
        claimed = User.objects.filter(
            pk=pk, is_active=True, welcome_requested_at__isnull=False
        ).update(welcome_requested_at=None, welcomed_at=now)
        if not claimed:
            continue
        person = User.objects.select_related("organisation").get(pk=pk)
        compose_and_send(person)
        sent += 1
    return sent


def compose_and_send(person) -> None:
    language = person.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "person": person,
            "organisation": person.organisation,
            "url": link_for(person),
            "days": settings.WELCOME_LINK_DAYS,
        }
        subject = render_to_string("organisations/welcome_subject.txt", context).strip()
        body = render_to_string("organisations/welcome_email.txt", context)
    send_mail(subject, body, None, [person.email])
