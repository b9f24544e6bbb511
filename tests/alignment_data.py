"""Helpers for alignment tests: a closed survey and people answering it through the real path."""

import datetime

from django.utils import timezone

from alignment import surveys
from alignment.models import AlignmentSurvey, Participant, Value
from tests.factories import UserFactory

NEUTRAL = dict.fromkeys(
    ["identity", "purpose", "direction", "structure", "energy", "expression"], 3
) | dict.fromkeys(["autonomy", "mastery", "work_purpose"], 3)


def values(organisation, *names):
    return [Value.objects.get_or_create(organisation=organisation, name=name)[0] for name in names]


def open_survey(organisation, teams=(), title="Round 1", days_ago=10):
    today = timezone.localdate()
    return surveys.open_survey(
        organisation=organisation,
        title=title,
        opens_on=today - datetime.timedelta(days=days_ago),
        closes_on=today + datetime.timedelta(days=7),
        teams=list(teams),
    )


def answer(survey, team, scores, comment="", person=None, **needs):
    """A new member of ``team`` (or ``person``) answers: ``scores`` maps values to
    (importance, lived); ``needs`` overrides the neutral 3 for needs and motivators."""
    person = person or UserFactory(organisation=survey.organisation, teams=[team])
    participant, _ = Participant.objects.get_or_create(survey=survey, person=person)
    surveys.store_answers(
        participant=participant,
        team=team,
        value_scores={value.pk: pair for value, pair in scores.items()},
        scores=NEUTRAL | needs,
        comment=comment,
    )
    return person


def close(survey):
    AlignmentSurvey.objects.filter(pk=survey.pk).update(closed_at=timezone.now())
    survey.refresh_from_db()
    return survey
