"""Team ideas: an employee's improvement, what customers said that led to it, the target and
plan item it serves, colleagues' votes and discussion, and its way from proposed to done."""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from levels.models import Level
from organisations import roles


class IdeaStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


# Where an idea may go from each status. Declining is possible until it is done.
MOVES = {
    IdeaStatus.PROPOSED: (IdeaStatus.ACCEPTED, IdeaStatus.DECLINED),
    IdeaStatus.ACCEPTED: (IdeaStatus.IN_PROGRESS, IdeaStatus.DECLINED),
    IdeaStatus.IN_PROGRESS: (IdeaStatus.DONE, IdeaStatus.DECLINED),
    IdeaStatus.DONE: (),
    IdeaStatus.DECLINED: (),
}
OPEN_STATUSES = (IdeaStatus.PROPOSED, IdeaStatus.ACCEPTED, IdeaStatus.IN_PROGRESS)
# The moment each status was reached is kept on the idea for the before/after figures.
REACHED_AT = {
    IdeaStatus.ACCEPTED: "accepted_at",
    IdeaStatus.IN_PROGRESS: "started_at",
    IdeaStatus.DONE: "done_at",
    IdeaStatus.DECLINED: "declined_at",
}


def _count_of(model: str):
    """The number of ``model`` rows of each idea, as a subquery: no GROUP BY over the idea's
    columns, and the list keeps its order."""
    rows = apps.get_model(model).objects.filter(idea=OuterRef("pk")).order_by()
    counted = rows.values("idea").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class IdeaQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, user):
        """Every idea of the organisation is open to all its people."""
        organisation = roles.organisation_of(user)
        if organisation is None:
            return self.none()
        return self.in_organisation(organisation)

    def for_team(self, team):
        return self.filter(team=team)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def awaiting_decision_by(self, user):
        """Proposed ideas the person may accept or decline: of the teams they manage, never
        their own (``rules.idea_moves_for`` says the same of one idea)."""
        return (
            self.visible_to(user)
            .filter(status=IdeaStatus.PROPOSED, team__in=roles.teams_managed_by(user))
            .exclude(proposer=user)
        )

    def with_vote_count(self):
        return self.annotate(vote_count=_count_of("ideas.IdeaVote"))

    def for_programme(self, programme):
        """Ideas that count for a programme: linked to one of its plan items, or proposed in
        the organisation while it ran."""
        during = models.Q(created_at__date__gte=programme.starts_on)
        if programme.ends_on:
            during &= models.Q(created_at__date__lte=programme.ends_on)
        return self.filter(organisation=programme.organisation_id).filter(
            models.Q(plan_item__programme=programme) | (during & models.Q(plan_item__isnull=True))
        )

    def count_per_level(self) -> dict:
        """{level: ideas} over all seven levels; declined ideas and ideas without a level do
        not count."""
        counts = dict(
            self.exclude(status=IdeaStatus.DECLINED)
            .exclude(level__isnull=True)
            .values_list("level")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {level.value: counts.get(level.value, 0) for level in Level}

    def for_list(self):
        """What a list shows of each idea, in a fixed number of queries."""
        return (
            self.select_related("team", "proposer", "target__team", "plan_item")
            .with_vote_count()
            .annotate(comment_count=_count_of("ideas.IdeaComment"))
            .order_by("-created_at", "-pk")
        )


class Idea(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="ideas"
    )
    team = models.ForeignKey(
        "organisations.Team", on_delete=models.CASCADE, related_name="ideas", verbose_name=_("team")
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("proposed by"),
    )
    title = models.CharField(_("title"), max_length=200)
    customers_said = models.TextField(
        _("what customers said"),
        blank=True,
        help_text=_("What led to the idea, in the customers’ words or your own."),
    )
    comments = models.ManyToManyField(
        "feedback.Response",
        blank=True,
        related_name="ideas",
        verbose_name=_("customer comments"),
    )
    change = models.TextField(
        _("what to change"), help_text=_("What the team would do differently, concretely.")
    )
    target = models.ForeignKey(
        "programmes.Target",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("target it serves"),
    )
    plan_item = models.ForeignKey(
        "levels.PlanItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("plan item it serves"),
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        choices=Level.choices,
        null=True,
        blank=True,
        help_text=_("Taken from the plan item when one is chosen."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=IdeaStatus.choices, default=IdeaStatus.PROPOSED
    )
    decline_reason = models.TextField(_("why it was declined"), blank=True)
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "status"], name="idea_org_status")]

    def __str__(self):
        return self.title

    @property
    def next_statuses(self):
        return MOVES[IdeaStatus(self.status)]

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class IdeaVote(models.Model):
    """One person's vote for an idea; withdrawing it deletes the row."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_votes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "voter"], name="one_vote_per_person_per_idea")
        ]

    def __str__(self):
        return f"{self.voter} · {self.idea}"


class IdeaComment(models.Model):
    """Colleagues discussing an idea."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="discussion")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("your reaction"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.author} · {self.idea}"


class IdeaEvent(models.Model):
    """A step in an idea's history: who moved it from what to what, when, and why. Each one
    is told to the proposer once (``notified_at`` is claimed before the e-mail is sent)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=IdeaStatus.choices)
    to_status = models.CharField(max_length=12, choices=IdeaStatus.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.idea} · {self.from_status} → {self.to_status}"
