"""The seven levels of change, top-down, and the plan items of a programme on each level."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisations import roles


class Level(models.IntegerChoices):
    MISSION = 1, _("Mission and purpose")
    IDENTITY = 2, _("Identity")
    VALUES = 3, _("Values and beliefs")
    COMPETENCES = 4, _("Competences")
    CAPABILITIES = 5, _("Capabilities and skills")
    BEHAVIOUR = 6, _("Behaviour")
    CONTEXT = 7, _("Context: structure, processes, systems")


LEVEL_QUESTIONS = {
    Level.MISSION: _("What for? The result we exist for."),
    Level.IDENTITY: _("Who are we, and who do we want to be for customers?"),
    Level.VALUES: _("What do we believe, and what do we find important?"),
    Level.COMPETENCES: _("What must we be good at as an organisation?"),
    Level.CAPABILITIES: _("What must people be able to do?"),
    Level.BEHAVIOUR: _("What do people do, visibly, with customers and colleagues?"),
    Level.CONTEXT: _("Which structure, processes and systems support it?"),
}


class PlanItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class PlanItemQuerySet(models.QuerySet):
    def in_programme(self, programme):
        return self.filter(programme=programme)

    def active(self):
        """Items that count in the plan: everything not dropped."""
        return self.exclude(status=PlanItemStatus.DROPPED)

    def visible_to(self, user):
        """The plan is open to everybody in the organisation."""
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        return self.filter(programme__organisation=organisation)


class PlanItem(models.Model):
    """One thing the programme does on one level, serving an item one level up."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="plan_items"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    serves = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="served_by",
        verbose_name=_("serves"),
        help_text=_("The item one level up that this item is for."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PlanItemStatus.choices, default=PlanItemStatus.PLANNED
    )
    effort_hours = models.DecimalField(
        _("effort (hours)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    effort_money = models.DecimalField(
        _("effort (euros)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    targets = models.ManyToManyField(
        "programmes.Target",
        blank=True,
        related_name="plan_items",
        verbose_name=_("targets it works towards"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PlanItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["level", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.serves_id is not None:
            serves = self.serves
            if self.level == Level.MISSION:
                errors["serves"] = _("Mission and purpose is the top: it serves nothing above it.")
            elif serves.programme_id != self.programme_id:
                errors["serves"] = _("The item it serves belongs to another programme.")
            elif serves.level != (self.level or 0) - 1:
                errors["serves"] = _("An item serves an item exactly one level up.")
            elif serves.pk is not None and serves.pk == self.pk:
                errors["serves"] = _("An item cannot serve itself.")
        if self.effort_hours is not None and self.effort_hours < 0:
            errors["effort_hours"] = _("Effort cannot be negative.")
        if self.effort_money is not None and self.effort_money < 0:
            errors["effort_money"] = _("Effort cannot be negative.")
        if errors:
            raise ValidationError(errors)
