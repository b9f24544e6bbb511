"""A follow-up: a detractor's answer that someone of the team must call back by a due date."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.models import Response
from organisations import clock, roles
from organisations.models import Organisation, Team


class State(models.TextChoices):
    OPEN = "open", _("open")
    CONTACTED = "contacted", _("contacted")
    CLOSED = "closed", _("closed")
    UNREACHABLE = "unreachable", _("could not reach")


OPEN_STATES = (State.OPEN, State.CONTACTED)
DONE_STATES = (State.CLOSED, State.UNREACHABLE)


class FollowUpQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Follow-ups show the customer's comment: they are for whoever may read the team's
        comments (the team and management)."""
        return self.filter(team__in=roles.teams_with_comments_visible_to(user))

    def unfinished(self):
        return self.filter(state__in=OPEN_STATES)

    def finished(self):
        return self.filter(state__in=DONE_STATES)

    def overdue(self, today):
        return self.unfinished().filter(due_on__lt=today)

    def needing(self, user, today):
        """What waits for the person on their home page: management the overdue ones (the
        escalations), a lead every unfinished one of their teams, anyone those they own."""
        mine = self.visible_to(user).unfinished()
        if roles.is_management(user):
            return mine.filter(Q(due_on__lt=today) | Q(owner=user))
        return mine.filter(Q(team__in=roles.teams_managed_by(user)) | Q(owner=user))

    def for_list(self):
        return self.select_related("team", "owner", "response").order_by("due_on", "pk")


class FollowUp(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="followups")
    # One follow-up per answer, whatever runs twice: the constraint, not the caller, says so.
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="followup")
    reached_by = models.CharField(_("reached by"), max_length=20)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    contacted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The organisation's day of closing, against ``due_on``: closed on time or not.
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    learned = models.TextField(_("what we learned"), blank=True)
    # Alerts, each claimed by the worker that sends it (set before sending), so sent once.
    opened_alert_at = models.DateTimeField(null=True, blank=True)
    reminder_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["organisation", "state", "due_on"], name="followup_org_state"),
            models.Index(fields=["team", "state", "due_on"], name="followup_team_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["open", "contacted"]) | Q(closed_at__isnull=False),
                name="followup_closed_has_time",
            )
        ]

    def __str__(self):
        return f"{self.team} · {self.response_id} · {self.state}"

    @property
    def is_finished(self) -> bool:
        return self.state in DONE_STATES

    def is_overdue(self, today=None) -> bool:
        today = today or clock.local_today(self.organisation)
        return not self.is_finished and self.due_on < today

    @property
    def closed_on_time(self) -> bool | None:
        if self.closed_on is None:
            return None
        return self.closed_on <= self.due_on
