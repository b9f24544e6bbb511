"""Answers written in batches, never in the transaction that marks a person as having answered.

A person's answers wait in ``QueuedAnswer`` (a transaction of its own) until at least the
survey's minimum group size of them are waiting, or the survey has closed; then one transaction
writes the whole batch in random order with random keys and deletes the queue. Once a survey has
closed and its last batch is written, the answer tables are vacuumed, so no dead row version
is left that shares a transaction with a participant's row (see the README's threat model)."""

import logging
import random
import uuid

from django.db import connection, transaction
from django.utils import timezone

from alignment.models import (
    AlignmentComment,
    AlignmentSurvey,
    AnswerSet,
    QueuedAnswer,
    ValueAnswer,
)

logger = logging.getLogger(__name__)

ANSWER_TABLES = [
    QueuedAnswer._meta.db_table,
    AnswerSet._meta.db_table,
    ValueAnswer._meta.db_table,
    AlignmentComment._meta.db_table,
]


def write_batch(survey_id: int) -> int:
    """Write the survey's waiting answers if there are enough of them (or it has closed);
    returns how many were written. Safe to run twice: the survey's row lock makes one writer."""
    with transaction.atomic():
        survey = AlignmentSurvey.objects.select_for_update().filter(pk=survey_id).first()
        if survey is None:
            return 0
        queued = list(QueuedAnswer.objects.filter(survey=survey))
        if not queued or (len(queued) < survey.min_group_size and not survey.is_closed()):
            return 0
        shuffle = random.SystemRandom().shuffle
        shuffle(queued)
        sets, scores, comments = [], [], []
        for item in queued:
            answers = item.answers
            answer_set = AnswerSet(
                id=uuid.uuid4(), survey=survey, team_ref=answers["team_ref"], **answers["scores"]
            )
            sets.append(answer_set)
            scores += [
                ValueAnswer(
                    id=uuid.uuid4(),
                    answer_set=answer_set,
                    value_id=int(value_id),
                    importance=importance,
                    lived=lived,
                )
                for value_id, (importance, lived) in answers["values"].items()
            ]
            if answers["comment"]:
                comments.append(
                    AlignmentComment(
                        survey=survey, team_ref=answers["team_ref"], text=answers["comment"]
                    )
                )
        for rows in (scores, comments):
            shuffle(rows)
        AnswerSet.objects.bulk_create(sets)
        ValueAnswer.objects.bulk_create(scores)
        AlignmentComment.objects.bulk_create(comments)
        QueuedAnswer.objects.filter(pk__in=[item.pk for item in queued]).delete()
    return len(queued)


def settle(survey) -> None:
    """A closed survey's last answers written (before any result is computed)."""
    if survey.is_closed() and QueuedAnswer.objects.filter(survey=survey).exists():
        write_batch(survey.pk)


def vacuum_answer_tables() -> bool:
    """VACUUM the answer tables (PostgreSQL, outside any transaction); False when it cannot."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute("VACUUM " + ", ".join(connection.ops.quote_name(t) for t in ANSWER_TABLES))
    return True


def settle_closed_surveys() -> int:
    """Beat: every survey's batches; for each closed survey its last batch, then one vacuum.
    Returns the number of answers written."""
    written = 0
    for survey_id in QueuedAnswer.objects.values_list("survey_id", flat=True).distinct().order_by():
        written += write_batch(survey_id)
    now = timezone.now()
    closed = AlignmentSurvey.objects.filter(vacuumed_at=None).exclude(
        closed_at=None, closes_at__gt=now
    )
    to_vacuum = [s.pk for s in closed if not QueuedAnswer.objects.filter(survey=s).exists()]
    if to_vacuum and vacuum_answer_tables():
        AlignmentSurvey.objects.filter(pk__in=to_vacuum).update(vacuumed_at=now)
    return written
