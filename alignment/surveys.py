"""Opening an alignment survey and answering it: the answers stored without the person, and
apart from them that the person answered."""

import random
import uuid

from django.db import transaction

from alignment import tasks
from alignment.models import (
    AlignmentComment,
    AlignmentSurvey,
    AnswerSet,
    Participant,
    Value,
    ValueAnswer,
)
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
    """Store one person's answers without them, and separately that they answered.

    ``value_scores`` maps value ids to (importance, lived); ``scores`` the needs and motivators.
    The answer rows get random keys and no time; and every answer of the team is written
    again, in random order, in the same transaction (see ``_rewrite_in_random_order``).
    ``at`` is the instant of answering (now; the demo's history gives a past one).
    """
    with transaction.atomic():
        # One answer at a time per survey, so the rewrite below never copies a stale set.
        AlignmentSurvey.objects.select_for_update().filter(pk=participant.survey_id).first()
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.has_answered:
            raise AlreadyAnswered
        survey = locked.survey
        if not survey.is_open(at):
            raise SurveyClosed
        team_ref = team.pk if team else None
        answer_set = AnswerSet.objects.create(survey=survey, team_ref=team_ref, **scores)
        ValueAnswer.objects.bulk_create(
            ValueAnswer(answer_set=answer_set, value_id=value_id, importance=imp, lived=lived)
            for value_id, (imp, lived) in value_scores.items()
        )
        comment = redact_comment(comment or "", name_pattern(survey.organisation))
        if comment:
            AlignmentComment.objects.create(survey=survey, team_ref=team_ref, text=comment)
        _rewrite_in_random_order(survey, team_ref)
        Participant.objects.filter(pk=locked.pk).update(has_answered=True)


def _rewrite_in_random_order(survey, team_ref) -> None:
    """Write all of a team's answers again, shuffled, with new random keys.

    The database itself keeps traces a table's columns do not show: the order rows were
    written in, and (PostgreSQL's ``xmin``) the transaction that wrote them, which is also the
    one that marked the person as having answered. After this, every answer of the team comes
    from the latest answer's transaction, in an order that says nothing.
    """
    shuffle = random.SystemRandom().shuffle
    in_team = {"survey": survey, "team_ref": team_ref}
    sets = list(AnswerSet.objects.filter(**in_team).values())
    scores = list(
        ValueAnswer.objects.filter(answer_set__survey=survey, answer_set__team_ref=team_ref).values(
            "answer_set_id", "value_id", "importance", "lived"
        )
    )
    texts = list(AlignmentComment.objects.filter(**in_team).values_list("text", flat=True))
    AnswerSet.objects.filter(**in_team).delete()  # and their value answers
    AlignmentComment.objects.filter(**in_team).delete()
    new_key = {row["id"]: uuid.uuid4() for row in sets}
    for rows in (sets, scores, texts):
        shuffle(rows)
    AnswerSet.objects.bulk_create(AnswerSet(**row | {"id": new_key[row["id"]]}) for row in sets)
    ValueAnswer.objects.bulk_create(
        ValueAnswer(**row | {"answer_set_id": new_key[row["answer_set_id"]]}) for row in scores
    )
    AlignmentComment.objects.bulk_create(AlignmentComment(text=text, **in_team) for text in texts)
