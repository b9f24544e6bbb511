"""The change programme: why, the six organisational needs, targets and updates."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.metrics import Metric
from organisations import roles
from organisations.models import Organisation, Team, User


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class ProgrammeQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """Everybody in the organisation reads its programmes (the point is openness)."""
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        return self.in_organisation(organisation)

    def current(self):
        return self.filter(is_current=True)


class Programme(models.Model):
    """A change programme: it starts from *why* and is worked top-down through seven levels.
    An organisation runs several over the years; one of them is the current one."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="programmes"
    )
    name = models.CharField(_("name"), max_length=200)
    vision = models.TextField(
        _("vision"), help_text=_("The future you see for customers and the organisation.")
    )
    mission = models.TextField(_("mission"), help_text=_("What the organisation is there for."))
    why = models.TextField(
        _("why: the result it is for"),
        help_text=_(
            "The concrete result this programme exists for, e.g. “error reports from 10% to 5%”."
        ),
    )
    urgency_competitors = models.TextField(
        _("urgency: competitors"), blank=True, help_text=_("What competitors do that we do not.")
    )
    urgency_technology = models.TextField(
        _("urgency: technology"), blank=True, help_text=_("What technology changes for customers.")
    )
    urgency_ambition = models.TextField(
        _("urgency: ambition"), blank=True, help_text=_("What we want to become, ourselves.")
    )
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    is_current = models.BooleanField(
        _("current programme"),
        default=False,
        help_text=_("The programme every employee sees; only one at a time."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_current=True),
                name="one_current_programme_per_organisation",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end lies before the start.")})

    @property
    def is_finished(self) -> bool:
        """Completed or stopped: its plan and needs are kept as they were, read-only."""
        return self.status in (ProgrammeStatus.COMPLETED, ProgrammeStatus.STOPPED)

    def make_current(self) -> None:
        """Make this the organisation's current programme (and no other)."""
        with transaction.atomic():
            Programme.objects.in_organisation(self.organisation_id).filter(is_current=True).exclude(
                pk=self.pk
            ).update(is_current=False)
            if not self.is_current:
                self.is_current = True
                self.save(update_fields=["is_current"])


class Need(models.TextChoices):
    """The six organisational needs (after Miyashiro, *The Empathy Factor*)."""

    IDENTITY = "identity", _("Identity")
    PURPOSE = "purpose", _("Purpose")
    DIRECTION = "direction", _("Direction")
    STRUCTURE = "structure", _("Structure")
    ENERGY = "energy", _("Energy")
    EXPRESSION = "expression", _("Expression")


NEED_QUESTIONS = {
    Need.IDENTITY: _("Who are we, and what do we stand for?"),
    Need.PURPOSE: _("What are we here for; what difference do we make?"),
    Need.DIRECTION: _("Where are we going, and what comes first?"),
    Need.STRUCTURE: _("How are we organised to get there: roles, rules, agreements?"),
    Need.ENERGY: _("Where does our energy come from, and where do we spend it?"),
    Need.EXPRESSION: _("How do we show who we are, to customers and to each other?"),
}


class Clarity(models.IntegerChoices):
    NOT_STATED = 0, _("Not stated")
    VAGUE = 1, _("Vague")
    PARTLY = 2, _("Partly clear")
    CLEAR = 3, _("Clear")


class NeedStatement(models.Model):
    """Management's statement of one organisational need, and how clearly it is stated."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="needs")
    need = models.CharField(_("need"), max_length=12, choices=Need.choices)
    statement = models.TextField(_("statement"), blank=True)
    clarity = models.PositiveSmallIntegerField(
        _("how clearly it is stated"), choices=Clarity.choices, default=Clarity.NOT_STATED
    )

    class Meta:
        verbose_name = _("organisational need")
        verbose_name_plural = _("organisational needs")
        constraints = [
            models.UniqueConstraint(fields=["programme", "need"], name="one_statement_per_need")
        ]

    def __str__(self):
        return self.get_need_display()

    @property
    def question(self):
        return NEED_QUESTIONS[self.need]


class GoalKind(models.TextChoices):
    ABSOLUTE = "absolute", _("Reach a value")
    CHANGE = "change", _("Change by")


class TargetQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """Every target of the organisation is open to all its people."""
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        return self.in_organisation(organisation)

    def editable_by(self, user):
        """Management sets any target, a team lead only their own team's."""
        targets = self.visible_to(user)
        if roles.is_management(user):
            return targets
        return targets.filter(team__in=roles.teams_managed_by(user))

    def for_team(self, team):
        return self.filter(team=team)

    def organisation_wide(self):
        return self.filter(team__isnull=True)


class Target(models.Model):
    """A concrete result, set together with a team (or for the whole organisation): a metric
    from a baseline period to a goal by a due date. Baseline and progress are read from the
    rollups (``programmes/targets.py``), never stored, so they are always the KPI engine's."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="targets")
    programme = models.ForeignKey(
        Programme,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("programme"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("team"),
        help_text=_("Empty: the whole organisation."),
    )
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    period = models.CharField(
        _("measured per"),
        max_length=8,
        choices=[("month", _("Month")), ("quarter", _("Quarter"))],
        default="month",
    )
    baseline_start = models.DateField(_("baseline period"))
    goal_kind = models.CharField(
        _("goal"), max_length=8, choices=GoalKind.choices, default=GoalKind.CHANGE
    )
    goal_amount = models.FloatField(_("goal amount"))
    due_on = models.DateField(_("due date"))
    what_for = models.CharField(
        _("what for"),
        max_length=200,
        blank=True,
        help_text=_("The result for customers, in the team’s own words."),
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["due_on", "pk"]

    def __str__(self):
        scope = self.team.name if self.team_id else self.organisation.name
        return f"{self.get_metric_display()} · {scope}"

    def goal_value(self, baseline: float | None) -> float | None:
        """The value to reach: the amount itself, or the baseline moved by it."""
        if self.goal_kind == GoalKind.ABSOLUTE:
            return self.goal_amount
        if baseline is None:
            return None
        return baseline + self.goal_amount


class UpdateKind(models.TextChoices):
    RESULTS = "results", _("Results")
    EXPECTATIONS = "expectations", _("Expectations")
    PLANS = "plans", _("Plans")


class UpdateQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """Management every update; others those for everybody and those for a team of theirs."""
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        updates = self.in_organisation(organisation)
        if roles.is_management(user):
            return updates
        addressed = Update.teams.through.objects.filter(update=OuterRef("pk"))
        mine = addressed.filter(team__in=roles.own_teams(user))
        return updates.filter(~Exists(addressed) | Exists(mine))

    def editable_by(self, user):
        if not roles.can_publish_updates(user):
            return self.none()
        return self.visible_to(user)


class Update(models.Model):
    """Management tells employees results, expectations and plans: everybody, or some teams."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="updates")
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="updates"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=UpdateKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"))
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="updates",
        verbose_name=_("teams"),
        help_text=_("None chosen: everybody in the organisation."),
    )
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    send_email = models.BooleanField(
        _("also send by e-mail"),
        default=False,
        help_text=_("Each recipient gets it in their own language."),
    )
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True, editable=False)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    def recipients(self):
        """Who the update is for: its teams' members, or everybody in the organisation."""
        people = User.objects.in_organisation(self.organisation_id).filter(is_active=True)
        teams = self.teams.all()
        if teams.exists():
            people = people.filter(memberships__team__in=teams).distinct()
        return people
