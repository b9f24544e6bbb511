"""Praise passed on: a promoter's comment sent to the team or to a named colleague, "a customer
said this about you", from the comment feed. Mailed once, in each reader's language."""

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dashboards.models import Praise
from kpis.metrics import PROMOTER_MIN
from organisations import roles
from organisations.models import User


def can_pass_on(user, response) -> bool:
    """A promoter's comment, passed on by someone who may read it."""
    return (
        response.score is not None
        and response.score >= PROMOTER_MIN
        and bool(response.comment)
        and roles.can_see_team_comments(user, response.team)
    )


def colleagues(response):
    return User.objects.filter(
        memberships__team=response.team, is_active=True, organisation=response.organisation_id
    ).order_by("first_name", "last_name", "username")


def pass_on(response, *, by, to_person=None) -> tuple[Praise | None, str | None]:
    """(the praise, None), or (None, why not). Passing the same praise twice passes it once."""
    if not can_pass_on(by, response):
        return None, _("Only a promoter's comment can be passed on, by someone who reads it.")
    if to_person is not None and not colleagues(response).filter(pk=to_person.pk).exists():
        return None, _("%(name)s is not in this team.") % {"name": to_person}
    try:
        with transaction.atomic():
            praise = Praise.objects.create(response=response, passed_by=by, to_person=to_person)
    except IntegrityError:
        praise = Praise.objects.get(response=response, to_person=to_person)
    return praise, None


def recipients(praise):
    if praise.to_person_id:
        people = User.objects.filter(pk=praise.to_person_id)
    else:
        people = colleagues(praise.response)
        if praise.passed_by_id:
            people = people.exclude(pk=praise.passed_by_id)
    return list(people.filter(is_active=True).exclude(email=""))


def send(praise_id) -> int:
    """Mail the praise once: claimed before it is sent, released if the mail server fails."""
    if not Praise.objects.filter(pk=praise_id, sent_at__isnull=True).update(sent_at=timezone.now()):
        return 0
    praise = Praise.objects.select_related("response__team", "passed_by", "to_person").get(
        pk=praise_id
    )
    try:
        messages = []
        for person in recipients(praise):
            with translation.override(person.language or settings.LANGUAGE_CODE):
                context = {
                    "praise": praise,
                    "person": person,
                    "team": praise.response.team,
                    "url": settings.SITE_URL
                    + reverse("dashboards:team_detail", args=[praise.response.team.slug]),
                }
                subject = render_to_string("dashboards/email/praise_subject.txt", context)
                body = render_to_string("dashboards/email/praise.txt", context)
            messages.append(
                mail.EmailMessage(
                    " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [person.email]
                )
            )
        if messages:
            with mail.get_connection() as connection:
                connection.send_messages(messages)
    except Exception:
        Praise.objects.filter(pk=praise_id).update(sent_at=None)
        raise
    return len(messages)
