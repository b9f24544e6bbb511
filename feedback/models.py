"""Customers' feedback as stored: survey links, responses, interactions, themes, imports.

Raw rows are the truth (DESIGN.md). Customer references are kept only as a keyed hash, and
comments only after redaction (see ``feedback/privacy.py``).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programmes.models import Organisation, Team


class Source(models.TextChoices):
    FORM = "form", _("survey form")
    API = "api", _("API")
    IMPORT = "import", _("import")
    MANUAL = "manual", _("entered by hand")
    GENERATED = "generated", _("generated")


def new_link_token() -> str:
    # 128 random bits: links cannot be guessed or enumerated.
    return secrets.token_urlsafe(16)


class SurveyLinkQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class SurveyLink(models.Model):
    """The address of a team's public survey form, to print as a QR code or put in an e-mail."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="survey_links")
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Where it is used, e.g. “Counter Utrecht”.")
    )
    token = models.CharField(max_length=32, unique=True, default=new_link_token, editable=False)
    is_paused = models.BooleanField(_("paused"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = SurveyLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
        ordering = ["team__name", "name"]

    def __str__(self):
        return f"{self.team} · {self.name}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def accepts_answers(self) -> bool:
        return not self.is_revoked and not self.is_paused

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class Theme(models.Model):
    """A subject customers bring up ("wachttijd"), found in comments by its keywords."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("name"), max_length=60)
    keywords = models.TextField(
        _("keywords"),
        help_text=_("Comma-separated words or phrases; a comment containing one gets the theme."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    # When the organisation's comments were last re-tagged with this version of the theme;
    # behind updated_at means a re-tag is owed (a beat task sweeps those up).
    retagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="theme_name_unique")
        ]

    def __str__(self):
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class ResponseQuerySet(models.QuerySet):
    def contact_emails_past_retention(self, organisation, now):
        cutoff = now - timezone.timedelta(days=organisation.contact_retention_days)
        return self.filter(organisation=organisation, created_at__lt=cutoff).exclude(
            contact_email=""
        )


class Response(models.Model):
    """One customer's answer: a 0–10 score and/or a comment, for one team."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="responses")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)  # redacted before it is stored
    customer_hash = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    # NULL, not "", when absent: the unique constraint applies only to given ids.
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    source = models.CharField(max_length=10, choices=Source.choices)
    survey_link = models.ForeignKey(
        SurveyLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=8, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="responses")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="response_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=10), name="response_score_0_to_10"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "submitted_at"], name="response_team_time"),
            models.Index(fields=["organisation", "submitted_at"], name="response_org_time"),
        ]

    def __str__(self):
        return f"{self.team} · {self.score} · {self.submitted_at:%Y-%m-%d}"


class MarkKind(models.TextChoices):
    READ = "read", _("read")
    ACTED = "acted", _("acted upon")


class CommentMark(models.Model):
    """A person marked a customer's comment as read, or as acted upon."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=MarkKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "user", "kind"], name="comment_mark_unique")
        ]

    def __str__(self):
        return f"{self.user} · {self.kind} · {self.response_id}"


class Reply(models.Model):
    """A team lead's answer to a customer who left a contact address: the loop closed, logged."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("answer"))
    sent_at = models.DateTimeField(null=True, blank=True)  # set by the task that mailed it
    # Failed sends so far; the sweeper gives up after MAX_ATTEMPTS (feedback.replies).
    attempts = models.PositiveSmallIntegerField(default=0)
    # The form's one-time id: a double click or a resubmitted form answers once.
    submission = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("answer to a customer")
        verbose_name_plural = _("answers to customers")
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.author} → {self.response_id}"


class DigestSent(models.Model):
    """The weekly digest of one week went to one person: sending twice sends once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="digest_once_a_week")
        ]

    def __str__(self):
        return f"{self.user} · {self.week_start}"


class Interaction(models.Model):
    """A customer served by a team at a time, and whether it went wrong (complaint, error)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="interactions")
    customer_hash = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    is_error = models.BooleanField(_("went wrong"), default=False)
    note = models.TextField(_("note"), blank=True)  # redacted, like comments
    # NULL, not "", when absent: the unique constraint applies only to given ids.
    external_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="interaction_external_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["team", "occurred_at"], name="interaction_team_time"),
            models.Index(fields=["organisation", "occurred_at"], name="interaction_org_time"),
            # "Served before this period began?" for returning customers, per team and overall.
            models.Index(
                fields=["organisation", "customer_hash", "occurred_at"], name="interaction_customer"
            ),
            models.Index(
                fields=["team", "customer_hash", "occurred_at"], name="interaction_team_customer"
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.occurred_at:%Y-%m-%d %H:%M}"


class ImportJob(models.Model):
    """A file a manager uploaded; a worker validates and imports it, all or nothing."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        VALIDATING = "validating", _("checking rows")
        WRITING = "writing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("not imported")

    class Kind(models.TextChoices):
        RESPONSES = "responses", _("responses")
        INTERACTIONS = "interactions", _("interactions")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what the file holds"), max_length=12, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    # Kept in the database so any worker host can read it; emptied once the import ends.
    content = models.BinaryField(editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, round(100 * self.rows_checked / self.rows_total))


class Rollup(models.Model):
    """The counts behind every KPI for one team (or, with no team, the whole organisation)
    and one period. A cache of the raw rows: ``rebuild_rollups`` can always recompute it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="rollups"
    )
    kind = models.CharField(max_length=8)
    period_start = models.DateField()
    responses = models.PositiveIntegerField(default=0)  # with a score
    promoters = models.PositiveIntegerField(default=0)
    passives = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    customers = models.PositiveIntegerField(default=0)  # distinct, with an interaction
    returning_customers = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "kind", "period_start"],
                condition=Q(team__isnull=False),
                name="rollup_team_period_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "period_start"],
                condition=Q(team__isnull=True),
                name="rollup_organisation_period_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "kind", "period_start"], name="rollup_org_period")
        ]

    def __str__(self):
        return f"{self.team or self.organisation} · {self.kind} {self.period_start}"


class ThemeRollup(models.Model):
    """How often a theme came up in a scope and period, and how often among detractors."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)
    period_start = models.DateField()
    mentions = models.PositiveIntegerField(default=0)
    detractor_mentions = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "team", "kind", "period_start"], name="theme_rollup_scope"
            )
        ]

    def __str__(self):
        return f"{self.theme} · {self.kind} {self.period_start}"


class DirtyMark(models.Model):
    """A team's day whose rollups must be recomputed. Written in the same transaction as the
    raw rows; removed by the worker that recomputed it, unless marked again meanwhile."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # New interactions can make a customer "returning" in every later period too.
    later_periods = models.BooleanField(default=False)
    # Changes on every new mark of the same day, so a worker never removes a mark that was
    # set again after it read it.
    token = models.UUIDField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day", "later_periods"], name="dirty_mark_unique"
            )
        ]

    def __str__(self):
        return f"{self.team} · {self.day}"


class DailyCustomers(models.Model):
    """The customers a team (or, with no team, the whole organisation) served on one local day,
    as the building block of distinct and returning customers over longer periods.

    A customer counts in a week, month or quarter on the first day they were served in it, and
    is returning there if they were served on an earlier day before it began. So each period's
    figures are the sums of its days' rows, and one new interaction changes only its own day
    and the customer's next day with a visit. Like the rollups, a cache of the raw rows.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    customers = models.PositiveIntegerField(default=0)
    returning_customers = models.PositiveIntegerField(default=0)
    first_in_week = models.PositiveIntegerField(default=0)
    returning_in_week = models.PositiveIntegerField(default=0)
    first_in_month = models.PositiveIntegerField(default=0)
    returning_in_month = models.PositiveIntegerField(default=0)
    first_in_quarter = models.PositiveIntegerField(default=0)
    returning_in_quarter = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day"],
                condition=Q(team__isnull=False),
                name="daily_customers_team_day_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "day"],
                condition=Q(team__isnull=True),
                name="daily_customers_organisation_day_unique",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "day"], name="daily_customers_org_day")]

    def __str__(self):
        return f"{self.team or self.organisation} · {self.day}"
