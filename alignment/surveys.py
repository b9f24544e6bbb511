"""Opening an alignment survey and answering it: that the person answered, and apart from it
(another transaction) their answers queued without them for ``alignment.batches``."""

from django.db import transaction

from alignment import tasks
from alignment.models import AlignmentSurvey, Participant, QueuedAnswer, Value
from alignment.results import name_pattern, redact_comment
from alignment.suppression import structure_of
from organisations.enqueue import send
from organisations.models import Team, User


def open_survey(*, organisation, title, opens_on, closes_on, teams) -> AlignmentSurvey:
    """A new survey about every current value, with an invitation for each person in scope
    (``teams`` empty: the whole organisation). Invitations go out from a worker once committed."""
    with transaction.atomic():
        scope = list(teams or organisation.teams.all())
        survey = AlignmentSurvey.objects.create(
            organisation=organisation,
            title=title,
            opens_on=opens_on,
            closes_on=closes_on,
            min_group_size=organisation.min_group_size,
            min_comment_group_size=organisation.min_comment_group_size,
            structure=structure_of(
                Team.objects.filter(pk__in=[team.pk for team in scope]).select_related("department")
            ),
        )
        survey.teams.set(teams)
        survey.values.set(Value.objects.filter(organisation=organisation))
        people = (
            User.objects.in_organisation(organisation)
            .filter(is_active=True, memberships__team__in=scope)
            .distinct()
        )
        Participant.objects.bulk_create(
            Participant(survey=survey, person=person) for person in people
        )
    transaction.on_commit(lambda: send(tasks.send_alignment_invitations, survey.pk))
    return survey


def answering_teams(person, survey):
    """The teams a person can answer for: their own teams among the survey's."""
    teams = Team.objects.in_organisation(survey.organisation).with_member(person)
    return teams.filter(pk__in=[team["id"] for team in survey.structure])


class AlreadyAnswered(Exception):
    pass


class SurveyClosed(Exception):
    """The survey is not open at this instant: it takes no answer, whatever the clock says."""


def store_answers(*, participant, team, value_scores, scores, comment, at=None) -> None:
    """Record that a person answered, and queue their answers: in two transactions, so none
    both marks the person and writes their answers (``alignment.batches`` writes them later,
    with others, in random order).

    ``value_scores`` maps value ids to (importance, lived); ``scores`` the needs and motivators.
    ``at`` is the instant of answering (now; the demo's history gives a past one).
    """
    with transaction.atomic():
        # One answer at a time per survey, and none once the survey has closed.
        survey = AlignmentSurvey.objects.select_for_update().get(pk=participant.survey_id)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.has_answered:
            raise AlreadyAnswered
        if not survey.is_open(at):
            raise SurveyClosed
        Participant.objects.filter(pk=locked.pk).update(has_answered=True)
    try:
        with transaction.atomic():
            survey = AlignmentSurvey.objects.select_for_update().get(pk=participant.survey_id)
            if not survey.is_open(at):  # closed (and perhaps settled) in between
                raise SurveyClosed
            QueuedAnswer.objects.create(
                survey=survey,
                answers={
                    "team_ref": team.pk if team else None,
                    "scores": scores,
                    "values": {
                        str(value_id): list(pair) for value_id, pair in value_scores.items()
                    },
                    "comment": redact_comment(comment or "", name_pattern(survey.organisation)),
                },
            )
    except BaseException:
        # The answers were not queued: the person may answer again.
        Participant.objects.filter(pk=participant.pk).update(has_answered=False)
        raise
    transaction.on_commit(lambda: send(tasks.write_answer_batch, survey.pk))
