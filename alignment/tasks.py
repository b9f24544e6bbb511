"""Celery tasks for alignment surveys: invitations and reminders by e-mail, in each person's
language. Safe to run twice: each e-mail is claimed by setting its date before it is sent."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from alignment import batches
from alignment.models import AlignmentSurvey, Participant

logger = logging.getLogger(__name__)

# One reminder, this many days before the survey closes (or at once when it closes sooner).
REMIND_DAYS_BEFORE_CLOSE = 3


def _mail(participant, survey, kind: str) -> None:
    person = participant.person
    if not person.email:
        return
    with translation.override(person.language or settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "survey": survey,
            "url": settings.SITE_URL.rstrip("/") + reverse("alignment:answer", args=[survey.pk]),
            "reminder": kind == "reminder",
        }
        subject = render_to_string("alignment/email_subject.txt", context).strip()
        body = render_to_string("alignment/email.txt", context)
    send_mail(subject, body, None, [person.email])


def _claim(participants, field: str, today) -> list:
    """The participants this worker may mail: those whose date it could set first. People who
    have left are skipped (their place in the survey stays as it was when it opened)."""
    claimed = []
    for participant in participants.filter(person__is_active=True).select_related("person"):
        if Participant.objects.filter(pk=participant.pk, **{field: None}).update(**{field: today}):
            claimed.append(participant)
    return claimed


@shared_task(acks_late=True)
def send_alignment_invitations(survey_id: int) -> int:
    today = timezone.localdate()
    survey = AlignmentSurvey.objects.filter(pk=survey_id).first()
    if survey is None or not survey.is_open():
        return 0
    waiting = Participant.objects.filter(survey=survey, invited_on=None, has_answered=False)
    sent = 0
    for participant in _claim(waiting, "invited_on", today):
        _mail(participant, survey, "invitation")
        sent += 1
    return sent


@shared_task(acks_late=True)
def send_alignment_reminders() -> int:
    """Beat: invitations a lost message left unsent, and one reminder near the closing date
    to whoever has not answered yet."""
    today = timezone.localdate()
    sent = 0
    for survey in AlignmentSurvey.objects.open_at(timezone.now()):
        sent += send_alignment_invitations(survey.pk)
        if survey.closes_at - timezone.now() > datetime.timedelta(days=REMIND_DAYS_BEFORE_CLOSE):
            continue
        waiting = Participant.objects.filter(
            survey=survey, has_answered=False, reminded_on=None, invited_on__lt=today
        )
        for participant in _claim(waiting, "reminded_on", today):
            _mail(participant, survey, "reminder")
            sent += 1
    return sent


@shared_task(acks_late=True)
def write_answer_batch(survey_id: int) -> int:
    """After an answer is queued: its batch, once enough answers wait (or the survey closed)."""
    return batches.write_batch(survey_id)


@shared_task(acks_late=True)
def settle_alignment_surveys() -> int:
    """Beat: batches waiting, closed surveys' last answers, and the vacuum after closing."""
    return batches.settle_closed_surveys()
