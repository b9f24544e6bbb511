"""E-mails about follow-ups, each in its reader's language: the owner hears of a new one at
once and is reminded on the day it is due; an overdue one goes to management. Every alert is
claimed (a conditional update) before it is sent, so a task that runs twice sends it once."""

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from followups import opening
from followups.models import FollowUp
from organisations import clock
from organisations.models import Role, User, WebhookEvent

logger = logging.getLogger(__name__)

OPENED, REMINDER, OVERDUE = "opened", "reminder", "overdue"
CLAIM_FIELD = {OPENED: "opened_alert_at", REMINDER: "reminder_at", OVERDUE: "escalated_at"}


def due(organisation, kind, today):
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    start_of_today = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    unfinished = FollowUp.objects.filter(organisation=organisation).unfinished()
    waiting = unfinished.filter(**{f"{CLAIM_FIELD[kind]}__isnull": True})
    if kind == REMINDER:
        # On the day it is due: still time to call. A follow-up opened on (or after) its due
        # day was just announced; the opening mail says when it is due.
        return waiting.filter(due_on=today).exclude(opened_at__gte=start_of_today)
    if kind == OVERDUE:
        return waiting.filter(due_on__lt=today)
    return waiting


def claim(pk, kind) -> bool:
    field = CLAIM_FIELD[kind]
    return bool(
        FollowUp.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )
    )


def release(pk, kind) -> None:
    FollowUp.objects.filter(pk=pk).update(**{CLAIM_FIELD[kind]: None})


def recipients(followup, kind):
    if kind == OVERDUE or followup.owner is None:
        people = User.objects.filter(organisation=followup.organisation_id, role=Role.MANAGEMENT)
        if kind != OVERDUE:  # nobody owns it: the team's leads and management hear of it
            people = User.objects.filter(
                Q(pk__in=people) | Q(memberships__team=followup.team, memberships__is_lead=True)
            )
    else:
        people = User.objects.filter(pk=followup.owner_id)
    return list(people.filter(is_active=True).exclude(email="").distinct())


def message(followup, kind, person):
    language = person.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(followup.organisation.time_zone):
        context = {
            "followup": followup,
            "person": person,
            "team": followup.team,
            "url": settings.SITE_URL + reverse("followups:detail", args=[followup.pk]),
        }
        subject = render_to_string(f"followups/email/{kind}_subject.txt", context)
        body = render_to_string(f"followups/email/{kind}.txt", context)
    return mail.EmailMessage(
        " ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [person.email]
    )


def send_one(pk, kind) -> int:
    """Claim one alert and send it; 0 when another run has it. A failed send is released, so
    the next sweep tries again."""
    if not claim(pk, kind):
        return 0
    followup = FollowUp.objects.select_related("team", "owner", "organisation", "response").get(
        pk=pk
    )
    if kind == OVERDUE:
        with transaction.atomic():
            opening.tell_webhooks(followup, WebhookEvent.FOLLOWUP_OVERDUE)
    try:
        messages = [message(followup, kind, person) for person in recipients(followup, kind)]
        if messages:
            with mail.get_connection() as connection:
                connection.send_messages(messages)
    except Exception:
        release(pk, kind)
        logger.exception("the %s alert of follow-up %s could not be sent", kind, pk)
        return 0
    return len(messages)


def send_due(organisation) -> int:
    """Every alert of the organisation that is due now. Returns the number of e-mails sent."""
    today = clock.local_today(organisation)
    sent = 0
    for kind in (OPENED, REMINDER, OVERDUE):
        for pk in list(due(organisation, kind, today).values_list("pk", flat=True)):
            sent += send_one(pk, kind)
    return sent
