"""Organisations, their departments and teams, people with their roles, integration tokens."""

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def new_secret() -> str:
    return secrets.token_hex(32)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Amsterdam",
        validators=[validate_time_zone],
        help_text=_("Days, weeks, months and quarters of the figures follow this time zone."),
    )
    min_group_size = models.PositiveSmallIntegerField(
        _("minimum group size"),
        default=5,
        help_text=_("Alignment results are shown only for groups of at least this many people."),
    )
    min_comment_group_size = models.PositiveSmallIntegerField(
        _("minimum group size for comments"),
        default=8,
        help_text=_(
            "Alignment comments are shown only for groups of at least this many people. "
            "A survey keeps the sizes it was opened with."
        ),
    )
    min_responses = models.PositiveSmallIntegerField(
        _("minimum responses"),
        default=30,
        help_text=_("Below this many responses a score is shown as based on too few responses."),
    )
    contact_retention_days = models.PositiveSmallIntegerField(
        _("keep contact e-mails for (days)"),
        default=90,
        help_text=_("E-mail addresses customers left to be contacted are deleted after this."),
    )
    idea_voting = models.CharField(
        _("who votes on ideas"),
        max_length=12,
        choices=[
            ("team", _("The idea's own team")),
            ("organisation", _("Everybody in the organisation")),
        ],
        default="team",
        help_text=_("Everybody reads and discusses every idea; this decides who may vote."),
    )
    invitation_throttle_days = models.PositiveSmallIntegerField(
        _("invite a customer at most once per (days)"),
        default=90,
        help_text=_(
            "Across the whole organisation: a customer invited gets no other survey "
            "invitation for this many days."
        ),
    )
    invitation_reminder_days = models.PositiveSmallIntegerField(
        _("reminder after (days)"),
        default=3,
        help_text=_("One reminder by e-mail when an invitation is not answered; 0: none."),
    )
    quiet_from = models.TimeField(
        _("send no invitations from"),
        null=True,
        blank=True,
        help_text=_("The organisation's local time; empty: e-mails go out at any hour."),
    )
    quiet_until = models.TimeField(_("until"), null=True, blank=True)
    # Set while the figures are recomputed on a new time zone (see ClockChange), so every page
    # can say so without asking.
    recomputing_since = models.DateTimeField(null=True, blank=True, editable=False)
    # Key of the HMAC with which customer references are stored; never shown.
    customer_ref_secret = models.CharField(max_length=64, default=new_secret, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Saving an organisation never writes ``recomputing_since``: only a change of time zone
        and its end do (ClockChange), so a form loaded before the figures were done cannot put
        the notice back."""
        if self.pk is not None and kwargs.get("update_fields") is None and not self._state.adding:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "recomputing_since"
            ]
        super().save(*args, **kwargs)

    def in_quiet_window(self, moment) -> bool:
        """Whether invitation e-mails wait at ``moment`` (the window may span midnight)."""
        if self.quiet_from is None or self.quiet_until is None:
            return False
        local = timezone.localtime(moment, zoneinfo.ZoneInfo(self.time_zone)).time()
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= local < self.quiet_until
        return local >= self.quiet_from or local < self.quiet_until


class Department(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="department_slug_unique_in_organisation"
            )
        ]

    def __str__(self):
        return self.name


class TeamQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def with_member(self, user):
        return self.filter(memberships__user=user)

    def led_by(self, user):
        return self.filter(memberships__user=user, memberships__is_lead=True)

    def with_member_count(self):
        return self.annotate(member_count=models.Count("memberships"))

    def without_lead(self):
        leads = Membership.objects.filter(team=OuterRef("pk"), is_lead=True)
        return self.filter(~Exists(leads))


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams",
        verbose_name=_("department"),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=60, help_text=_("Used in addresses and in imported files.")
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="team_slug_unique_in_organisation"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.department_id and self.department.organisation_id != self.organisation_id:
            raise ValidationError(
                {"department": _("The department belongs to another organisation.")}
            )


class Role(models.TextChoices):
    MANAGEMENT = "management", _("Management")
    HR = "hr", _("HR")
    EMPLOYEE = "employee", _("Employee")


class UserQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def with_lead_flag(self):
        leads = Membership.objects.filter(user=OuterRef("pk"), is_lead=True)
        return self.annotate(leads_a_team=Exists(leads))


class KoningKlantUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person. Team leads are employees (or managers) who lead one of their teams."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
        help_text=_("Empty only for site administrators who belong to no organisation."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=[("en", _("English")), ("nl", _("Dutch"))],
        help_text=_("Language of e-mails; empty follows the organisation's default."),
    )
    weekly_digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_("A Monday e-mail with the team's figures and comments of the past week."),
    )

    objects = KoningKlantUserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_lead = models.BooleanField(_("team lead"), default=False)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self):
        return f"{self.user} · {self.team}"

    def clean(self):
        if not (self.user_id and self.team_id):
            return  # the form reports the missing field itself
        if self.user.organisation_id != self.team.organisation_id:
            raise ValidationError(_("A person can only join teams of their own organisation."))


TOKEN_PREFIX = "kk_"  # noqa: S105 - a marker, not a secret


def hash_token(raw: str) -> str:
    # The token carries 256 random bits, so a fast hash is enough: nobody can guess it from
    # the hash, and lookups stay a single indexed query.
    return hashlib.sha256(raw.encode()).hexdigest()


class IntegrationTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class IntegrationToken(models.Model):
    """A bearer token with which another system writes feedback for one organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="integration_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        _("starts with"), max_length=16, editable=False, help_text=_("To recognise a token.")
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = IntegrationTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("integration token")
        verbose_name_plural = _("integration tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.key_hint}…)"

    @classmethod
    def issue(cls, *, organisation, name, created_by=None) -> tuple["IntegrationToken", str]:
        """Create a token; the raw key is returned once and never stored."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organisation=organisation,
            name=name,
            key_hash=hash_token(raw),
            key_hint=raw[:8],
            created_by=created_by,
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> "IntegrationToken | None":
        if not raw or not raw.startswith(TOKEN_PREFIX):
            return None
        token = (
            cls.objects.active().select_related("organisation").filter(key_hash=hash_token(raw))
        ).first()
        if token is not None:
            cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class ClockChangeQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(finished_at__isnull=True)


class ClockChange(models.Model):
    """The organisation moved to another time zone: every stored local day is stamped again on
    the new clock (by capture), then the figures are recomputed (by the KPI engine). Until
    both are done, pages say that the figures are being recomputed."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="clock_changes"
    )
    time_zone = models.CharField(max_length=64)
    previous_time_zone = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # Progress of the restamping, in rows; where it has got to in each table.
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(default=0)
    cursors = models.JSONField(default=dict, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True)  # the last batch restamped
    restamped_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ClockChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.organisation}: {self.previous_time_zone} → {self.time_zone}"

    @property
    def percent(self) -> int:
        if self.restamped_at is not None:
            return 100
        if not self.rows_total:
            return 0
        return min(99, round(100 * self.rows_done / self.rows_total))

    def finish(self) -> None:
        """The figures are on the new clock: pages stop saying they are being recomputed."""
        with transaction.atomic():
            # The organisation's row first, as a change of zone takes it: a change requested
            # meanwhile is seen before the notice is taken down.
            organisation = Organisation.objects.select_for_update().get(pk=self.organisation_id)
            changes = ClockChange.objects.filter(organisation=organisation)
            finished = changes.filter(pk=self.pk).unfinished().update(finished_at=timezone.now())
            if finished and not changes.unfinished().exists():
                Organisation.objects.filter(pk=organisation.pk).update(recomputing_since=None)

    @classmethod
    def request(cls, organisation, previous_time_zone, requested_by=None) -> "ClockChange":
        """Record a change of zone, in the transaction that saved it. A change still under way
        is overtaken: the restamping always follows the organisation's current zone."""
        now = timezone.now()
        cls.objects.filter(organisation=organisation).unfinished().update(finished_at=now)
        Organisation.objects.filter(pk=organisation.pk).update(recomputing_since=now)
        return cls.objects.create(
            organisation=organisation,
            time_zone=organisation.time_zone,
            previous_time_zone=previous_time_zone,
            requested_by=requested_by,
        )
