"""Values and HR's alignment surveys: the anonymous answers and, apart from them, who answered.

Answers carry no person, no creation time and a random primary key: only the survey and the team.
Who has answered (so reminders stop) is a separate table that shares nothing with the answers.
"""

import datetime
import uuid
import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations import roles

SCALE_MIN, SCALE_MAX = 1, 5
SCORE_VALIDATORS = [MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]

# The six needs of an organisation (Miyashiro) and Pink's three motivators, in order.
NEEDS = [
    ("identity", _("Identity")),
    ("purpose", _("Purpose")),
    ("direction", _("Direction")),
    ("structure", _("Structure")),
    ("energy", _("Energy")),
    ("expression", _("Expression")),
]
MOTIVATORS = [
    ("autonomy", _("Autonomy")),
    ("mastery", _("Mastery")),
    ("work_purpose", _("Purpose in my work")),
]


def score_field(label):
    return models.PositiveSmallIntegerField(label, validators=SCORE_VALIDATORS)


class ValueQuerySet(models.QuerySet):
    def visible_to(self, user):
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        return self.filter(organisation=organisation)

    def managed_by(self, user):
        if not roles.can_manage_values(user):
            return self.none()
        return self.visible_to(user)


class Value(models.Model):
    """One of the organisation's core values (the values & beliefs level)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="values"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("what it means"), blank=True)
    behaviour = models.TextField(
        _("behaviour that shows it"),
        blank=True,
        help_text=_("What colleagues and customers see someone do who lives this value."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = ValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("value")
        verbose_name_plural = _("values")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="value_name_unique_in_organisation"
            )
        ]

    def __str__(self):
        return self.name


class AlignmentSurveyQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def open_at(self, moment):
        return self.filter(opens_at__lte=moment, closes_at__gt=moment, closed_at__isnull=True)

    def open_or_closed_since(self, moment, since):
        """Open at ``moment``, or closed (early or at its end) between ``since`` and then."""
        closed_early = models.Q(closed_at__gte=since, closed_at__lte=moment)
        closed_at_its_end = models.Q(
            closed_at__isnull=True, closes_at__gte=since, closes_at__lte=moment
        )
        return self.filter(opens_at__lte=moment).filter(
            models.Q(closed_at__isnull=True, closes_at__gt=moment)
            | closed_early
            | closed_at_its_end
        )

    def with_participation(self):
        """Each survey with ``invited`` and ``answered``: the whole survey's participation, as
        its page shows it to HR and management (never per group), without a query per survey."""
        people = Participant.objects.filter(survey=models.OuterRef("pk")).order_by()

        def counted(rows):
            rows = rows.values("survey").annotate(n=models.Count("pk")).values("n")
            return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)

        return self.annotate(
            invited=counted(people), answered=counted(people.filter(has_answered=True))
        )

    def visible_to(self, user):
        """Every survey of the person's organisation: its results are open to all its people,
        each within what ``results.groups_visible_to`` allows."""
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        return self.in_organisation(organisation)


class AlignmentSurvey(models.Model):
    """A round of the alignment survey for the whole organisation or some of its teams."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="alignment_surveys"
    )
    title = models.CharField(_("title"), max_length=200)
    opens_on = models.DateField(_("opens on"), default=timezone.localdate)
    closes_on = models.DateField(_("closes on"))
    # Empty: the whole organisation.
    teams = models.ManyToManyField(
        "organisations.Team", blank=True, related_name="+", verbose_name=_("teams")
    )
    # The values asked about, fixed when the survey opens so every answer covers the same ones.
    values = models.ManyToManyField(Value, related_name="surveys", verbose_name=_("values"))
    closed_at = models.DateTimeField(_("closed early"), null=True, blank=True)
    # The instants (UTC) the survey opens and closes: the local midnights of ``opens_on`` and
    # the day after ``closes_on`` in the organisation's zone when the survey was opened. Fixed
    # then, so a later change of time zone can never reopen a closed survey (one more answer
    # to a survey whose results were shown would give that answer away by subtraction).
    opens_at = models.DateTimeField(null=True, editable=False)
    closes_at = models.DateTimeField(null=True, editable=False)
    # Fixed when the survey opens: the thresholds and the teams with their departments. Results
    # always use these, so changing a setting or moving, renaming or removing a team later never
    # gives a second, differently hidden view of the same answers to set beside the first.
    min_group_size = models.PositiveSmallIntegerField(default=5, editable=False)
    min_comment_group_size = models.PositiveSmallIntegerField(default=8, editable=False)
    structure = models.JSONField(default=list, editable=False)
    # When the answer tables were vacuumed after the survey closed (alignment.batches).
    vacuumed_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AlignmentSurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("alignment survey")
        verbose_name_plural = _("alignment surveys")
        ordering = ["-opens_on", "-pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.opens_at is None or self.closes_at is None:
            self.fix_instants()
        super().save(*args, **kwargs)

    def fix_instants(self) -> None:
        """Turn the opening and closing days into instants on the organisation's clock now."""
        zone = zoneinfo.ZoneInfo(self.organisation.time_zone)
        self.opens_at = datetime.datetime.combine(self.opens_on, datetime.time(), tzinfo=zone)
        day_after = self.closes_on + datetime.timedelta(days=1)
        self.closes_at = datetime.datetime.combine(day_after, datetime.time(), tzinfo=zone)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is None and self.opens_at <= now < self.closes_at

    def is_closed(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is not None or now >= self.closes_at


class Participant(models.Model):
    """Somebody asked to answer a survey, and whether they have: never which answer is theirs.

    Dates only (no times), so the moment of answering cannot be matched to anything.
    """

    survey = models.ForeignKey(AlignmentSurvey, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_on = models.DateField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    has_answered = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="one_participant_per_survey")
        ]

    def __str__(self):
        return f"{self.person} · {self.survey}"


class AnswerSet(models.Model):
    """One person's answers about the needs and their motivation, without the person.

    No creation time and a random key: neither the order nor the moment of answering can be
    told from the table.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(AlignmentSurvey, on_delete=models.CASCADE, related_name="+")
    # The team's id when answered, not a foreign key: removing the team later moves no answer.
    team_ref = models.BigIntegerField(null=True, blank=True)
    identity = score_field(_("identity"))
    purpose = score_field(_("purpose"))
    direction = score_field(_("direction"))
    structure = score_field(_("structure"))
    energy = score_field(_("energy"))
    expression = score_field(_("expression"))
    autonomy = score_field(_("autonomy"))
    mastery = score_field(_("mastery"))
    work_purpose = score_field(_("purpose in my work"))

    def __str__(self):
        return f"answers to {self.survey_id}"


class ValueAnswer(models.Model):
    """How important one value is to the person and how much they see it lived in their team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    answer_set = models.ForeignKey(
        AnswerSet, on_delete=models.CASCADE, related_name="value_answers"
    )
    value = models.ForeignKey(Value, on_delete=models.CASCADE, related_name="+")
    importance = score_field(_("important to me"))
    lived = score_field(_("lived in my team"))

    def __str__(self):
        return f"{self.importance}/{self.lived}"


class AlignmentComment(models.Model):
    """An optional comment, apart from the scores so the words cannot lead to someone's scores."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(AlignmentSurvey, on_delete=models.CASCADE, related_name="+")
    # The team's id when answered, not a foreign key: removing the team later moves no answer.
    team_ref = models.BigIntegerField(null=True, blank=True)
    text = models.TextField()

    def __str__(self):
        return self.text[:50]


class QueuedAnswer(models.Model):
    """One person's answers waiting to be written with others in a batch (``alignment.batches``):
    the survey and the answers only. It is stored in a transaction of its own, apart from the
    one that marks the person as having answered, and deleted when its batch is written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(AlignmentSurvey, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField()

    def __str__(self):
        return f"queued answers to {self.survey_id}"
