"""Customers' feedback as stored: survey links, responses, interactions, themes, imports.

Raw rows are the truth (DESIGN.md). Customer references are kept only as a keyed hash, and
comments only after redaction (see ``feedback/privacy.py``).
"""

import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.search import CommentVector
from organisations import clock, roles
from organisations.models import Organisation, Team


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

    def managed_by(self, user):
        """Links of the teams the person manages (team leads their team, management all)."""
        return self.filter(team__in=roles.teams_managed_by(user)).select_related("team")


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


class ThemeQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def managed_by(self, user):
        if not roles.can_manage_themes(user):
            return self.none()
        return self.filter(organisation=roles.organisation_of(user))

    def owed_a_retag(self):
        """Themes changed since the comments were last re-tagged with them."""
        return self.filter(Q(retagged_at__isnull=True) | Q(retagged_at__lt=F("updated_at")))


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

    objects = ThemeQuerySet.as_manager()

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
    def comments_visible_to(self, user):
        """Customer comments the person may read: their own teams' (management all; HR none)."""
        return self.filter(team__in=roles.teams_with_comments_visible_to(user)).exclude(comment="")

    def contact_emails_visible_to(self, user):
        """Responses whose contact e-mail (left with the customer's consent) the person may
        see: those of teams they lead, and all for management. Nobody else, not even the team."""
        return self.filter(team__in=roles.teams_managed_by(user)).exclude(contact_email="")

    def contact_emails_past_retention(self, organisation, now):
        cutoff = now - timezone.timedelta(days=organisation.contact_retention_days)
        return self.filter(organisation=organisation, created_at__lt=cutoff).exclude(
            contact_email=""
        )


class ResponseManager(models.Manager.from_queryset(ResponseQuerySet)):
    def get_queryset(self):
        # The search vector is for the database's eyes only: never fetched with a row.
        return super().get_queryset().defer("search_vector")


class Response(models.Model):
    """One customer's answer: a 0–10 score and/or a comment, for one team."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="responses")
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)  # redacted before it is stored
    customer_hash = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    # The organisation's calendar day of ``submitted_at``, fixed when the row is stored (and
    # restamped when the organisation changes its time zone): the KPI engine counts by it.
    local_day = models.DateField()
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
    # The personal invitation it answers, if any (follow-ups can reach that customer).
    invitation = models.ForeignKey(
        "Invitation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # Dutch and English lexemes of the comment and its team's term, kept by PostgreSQL itself
    # (so every way in, COPY included, fills it and erasing a comment erases it); NULL on
    # SQLite. Searched through feedback.search; GIN-indexed (migration 0005).
    search_vector = models.GeneratedField(
        expression=CommentVector("comment", "team"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ResponseManager()

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
            models.Index(fields=["team", "local_day"], name="response_team_day"),
        ]

    def __str__(self):
        return f"{self.team} · {self.score} · {self.submitted_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.local_day is None:  # bulk ingest sets it; one row saved by hand gets it here
            zone = clock.zone_for_stamping(self.organisation)
            self.local_day = clock.local_day(zone)(self.submitted_at)
        super().save(*args, **kwargs)


class Interaction(models.Model):
    """A customer served by a team at a time, and whether it went wrong (complaint, error)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="interactions")
    customer_hash = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    local_day = models.DateField()  # as Response.local_day
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
            models.Index(fields=["team", "local_day"], name="interaction_team_day"),
            models.Index(fields=["organisation", "local_day"], name="interaction_org_day"),
            # A customer's earlier and later visits, for returning customers.
            models.Index(
                fields=["organisation", "customer_hash", "local_day"], name="interaction_customer"
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.local_day is None:
            zone = clock.zone_for_stamping(self.organisation)
            self.local_day = clock.local_day(zone)(self.occurred_at)
        super().save(*args, **kwargs)


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not roles.can_import_feedback(user):
            return self.none()
        return self.filter(organisation=roles.organisation_of(user)).defer("content")


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
    # When its task was last sent by the stale-import sweeper; it sends again only after a
    # while, and only what no worker has taken.
    resent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

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


class DirtyMarkQuerySet(models.QuerySet):
    def mark(self, organisation, touched, *, later_periods: bool) -> None:
        """Record the (team id, local day) pairs a write touched. Call inside its transaction."""
        if not touched:
            return
        now = timezone.now()
        self.bulk_create(
            [
                DirtyMark(
                    organisation=organisation,
                    team_id=team_id,
                    day=day,
                    later_periods=later_periods,
                    token=uuid.uuid4(),
                    marked_at=now,
                )
                # In one order for every writer, so two never wait on each other's marks.
                for team_id, day in sorted(touched)
            ],
            update_conflicts=True,
            unique_fields=["team", "day", "later_periods"],
            update_fields=["token", "marked_at"],
        )


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

    objects = DirtyMarkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day", "later_periods"], name="dirty_mark_unique"
            )
        ]

    def __str__(self):
        return f"{self.team} · {self.day}"


# --- Personal invitations ----------------------------------------------------------------------


class Sampling(models.Model):
    """How a team invites its customers after a contact: not at all, every eligible contact, a
    fixed share, or the share its targets need (worked out above capture, in
    ``programmes/sizing.py``, and written down here)."""

    class Mode(models.TextChoices):
        OFF = "off", _("Do not invite")
        EVERY = "every", _("Every eligible contact")
        SHARE = "share", _("A fixed share of contacts")
        SIZED = "sized", _("As many as the team's targets need")

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sampling")
    mode = models.CharField(_("invite"), max_length=8, choices=Mode.choices, default=Mode.OFF)
    share = models.PositiveSmallIntegerField(
        _("share of contacts (%)"), default=100, help_text=_("For a fixed share: 1–100.")
    )
    # Written by the sizing: the share its targets need, and how it was worked out.
    sized_share = models.FloatField(null=True, blank=True, editable=False)
    sizing = models.JSONField(default=dict, blank=True, editable=False)
    sized_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sampling")
        verbose_name_plural = _("sampling")

    def __str__(self):
        return f"{self.team} · {self.mode}"

    @property
    def fraction(self) -> float:
        """The share of eligible contacts invited, 0–1 (sized: every one until first sized)."""
        if self.mode == self.Mode.EVERY:
            return 1.0
        if self.mode == self.Mode.SHARE:
            return min(max(self.share, 0), 100) / 100
        if self.mode == self.Mode.SIZED:
            return 1.0 if self.sized_share is None else min(max(self.sized_share, 0.0), 1.0)
        return 0.0


class OptOut(models.Model):
    """A customer who asked never to be invited again: only the hash of their reference."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    customer_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "customer_hash"], name="opt_out_unique")
        ]

    def __str__(self):
        return self.customer_hash[:12]


class InvitedCustomer(models.Model):
    """When a customer was last invited, one row per customer hash: the row that concurrent
    requests for the same customer lock, so the throttle holds (``feedback/invitations.py``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    customer_hash = models.CharField(max_length=64)
    last_invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "customer_hash"], name="invited_customer_unique"
            )
        ]

    def __str__(self):
        return self.customer_hash[:12]


def new_invitation_token() -> str:
    return secrets.token_urlsafe(18)


class InvitationQuerySet(models.QuerySet):
    def counted(self):
        """Invitations that count in the response rate: links made, e-mails sent."""
        return self.filter(local_day__isnull=False)


class Invitation(models.Model):
    """A personal, single-use, expiring link to a team's survey form, for one customer after
    one contact. Made for the organisation's own system to send (a link), or sent by e-mail by
    Koning Klant, whose address is kept only until the e-mail and its one reminder are sent."""

    class Status(models.TextChoices):
        LINK = "link", _("link handed out")
        QUEUED = "queued", _("waiting to be sent")
        SENT = "sent", _("sent")
        REMINDED = "reminded", _("reminder sent")
        CLOSED = "closed", _("closed")  # answered, opted out or expired before a reminder

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    customer_hash = models.CharField(max_length=64)
    interaction = models.ForeignKey(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=32, unique=True, default=new_invitation_token)
    language = models.CharField(max_length=8, blank=True)
    email = models.EmailField(blank=True)  # erased after the reminder (or answer, opt-out)
    status = models.CharField(max_length=8, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # When it counts in the response rate, made (link) or sent (e-mail), and the organisation's
    # day of that moment (restamped, like every local day, when the time zone changes).
    counted_at = models.DateTimeField(null=True, blank=True)
    local_day = models.DateField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(fields=["team", "local_day"], name="invitation_team_day"),
            models.Index(fields=["organisation", "customer_hash"], name="invitation_customer"),
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["queued", "sent"]),
                name="invitation_to_send",
            ),
        ]

    def __str__(self):
        return f"{self.team} · {self.created_at:%Y-%m-%d}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at
