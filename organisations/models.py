"""Organisations, their departments and teams, people with their roles, integration tokens."""

import hashlib
import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# No alignment figure is ever shown for fewer people: an organisation may ask for more, not less.
MIN_GROUP_SIZE = 5


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def new_secret() -> str:
    return secrets.token_hex(32)


# Countries whose public holidays follow-up deadlines skip (organisations.clock uses the
# ``holidays`` library, which knows many more; these are the ones we offer).
HOLIDAY_COUNTRIES = [
    ("AT", _("Austria")),
    ("BE", _("Belgium")),
    ("CH", _("Switzerland")),
    ("DE", _("Germany")),
    ("DK", _("Denmark")),
    ("ES", _("Spain")),
    ("FI", _("Finland")),
    ("FR", _("France")),
    ("GB", _("United Kingdom")),
    ("IE", _("Ireland")),
    ("IT", _("Italy")),
    ("LU", _("Luxembourg")),
    ("NL", _("Netherlands")),
    ("NO", _("Norway")),
    ("PL", _("Poland")),
    ("PT", _("Portugal")),
    ("SE", _("Sweden")),
]


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
        default=MIN_GROUP_SIZE,
        validators=[MinValueValidator(MIN_GROUP_SIZE)],
        help_text=_("Alignment results are shown only for groups of at least this many people."),
    )
    min_comment_group_size = models.PositiveSmallIntegerField(
        _("minimum group size for comments"),
        default=8,
        validators=[MinValueValidator(MIN_GROUP_SIZE)],
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
    followup_working_days = models.PositiveSmallIntegerField(
        _("call unhappy customers back within (working days)"),
        default=2,
        help_text=_(
            "A follow-up of a customer who scored 0–6 is due this many working days after "
            "the answer; weekends and public holidays do not count."
        ),
    )
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=2,
        choices=HOLIDAY_COUNTRIES,
        default="NL",
        help_text=_("Its public holidays are not working days for follow-ups."),
    )
    password_login = models.BooleanField(
        _("password login"),
        default=True,
        help_text=_(
            "Switch off once everybody signs in with the organisation's own account (single "
            "sign-on): passwords of this organisation are then refused."
        ),
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

    def clean(self):
        if (
            self.min_group_size
            and self.min_comment_group_size
            and self.min_comment_group_size < self.min_group_size
        ):
            raise ValidationError(
                {
                    "min_comment_group_size": _(
                        "Comments need at least as many people as the other results."
                    )
                }
            )

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

    def active(self):
        return self.filter(is_active=True)

    def not_joined(self):
        """Active people who have not chosen a password or signed in yet."""
        return self.active().filter(last_login__isnull=True)

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

    # Deactivated people have left: their ideas, votes and history stay.
    left_at = models.DateTimeField(_("left"), null=True, blank=True, editable=False)
    # A leaver who asked to be forgotten: name and address are gone.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The latest welcome e-mail: asked for (a worker claims and clears it), and sent. Part of
    # the welcome link's token, so a resent e-mail makes the earlier link useless.
    welcome_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    welcomed_at = models.DateTimeField(
        _("welcome e-mail sent"), null=True, blank=True, editable=False
    )

    objects = KoningKlantUserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self):
        if self.anonymised_at is not None:
            return str(_("a former colleague"))
        return self.get_full_name() or self.username

    @property
    def has_joined(self) -> bool:
        return self.last_login is not None


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


class WebhookEvent(models.TextChoices):
    ANSWERS = "answers.received", _("New answers (one per API call or import, one per form answer)")
    FOLLOWUP_OPENED = "followup.opened", _("A follow-up was opened")
    FOLLOWUP_OVERDUE = "followup.overdue", _("A follow-up is overdue")
    IDEA_DECIDED = "idea.decided", _("An idea was decided on")


class WebhookQuerySet(models.QuerySet):
    def active(self):
        return self.filter(paused_at__isnull=True)


class Webhook(models.Model):
    """An address (Teams, Slack, the organisation's own system) that hears of chosen events,
    each delivery signed with the webhook's secret."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("address"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Only a webhook registered for a team receives its customers' comments.
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Only a webhook of one team receives its customers' comments."),
    )
    # Key of the HMAC signature; shown once when the webhook is registered.
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Failed attempts in a row; at PAUSE_AFTER the webhook is paused until management resumes.
    failures_in_a_row = models.PositiveSmallIntegerField(default=0)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one webhook: sent, retried with backoff, logged with its last answer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # The same event is delivered once to a webhook, however often it is emitted.
    event_key = models.CharField(max_length=120)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A claimed delivery belongs to one worker until then; after it the sweeper takes it back.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_answer = models.TextField(blank=True)  # the receiver's answer or the error, shortened
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event_key"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} ({self.status})"


class PeopleImportQuerySet(models.QuerySet):
    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)


class PeopleImport(models.Model):
    """A file of people, checked and previewed: ``changes`` is exactly what applying it does.
    The file is kept until it is applied, and applied only if the plan is still the same."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255)
    content = models.BinaryField(editable=False)
    rows_total = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, blank=True)
    welcome_new_people = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)

    objects = PeopleImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


class SingleSignOnQuerySet(models.QuerySet):
    def enabled(self):
        return self.filter(enabled=True)

    def for_email(self, email: str):
        """The enabled sign-on whose domains cover this address."""
        domain = email.rpartition("@")[2].strip().casefold()
        if not domain:
            return self.none()
        return self.enabled().filter(domains__icontains=domain)


class SingleSignOn(models.Model):
    """An organisation's OpenID Connect provider (Microsoft Entra ID, Google Workspace,
    Keycloak…): people whose address is in ``domains`` sign in with their company account."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="single_sign_on"
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    issuer = models.URLField(
        _("issuer"),
        help_text=_(
            "The provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0; "
            "its settings are read from /.well-known/openid-configuration below it."
        ),
    )
    client_id = models.CharField(_("client ID"), max_length=255)
    # Encrypted with the site's key (organisations/sso.py); never shown again.
    client_secret_encrypted = models.TextField(editable=False, blank=True)
    domains = models.CharField(
        _("e-mail domains"),
        max_length=500,
        help_text=_("The address domains it covers, separated by commas, e.g. acme.nl, acme.com."),
    )
    create_people = models.BooleanField(
        _("create people who sign in"),
        default=False,
        help_text=_("Someone unknown with a confirmed address of these domains joins this team."),
    )
    default_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
    )

    objects = SingleSignOnQuerySet.as_manager()

    class Meta:
        verbose_name = _("single sign-on")

    def __str__(self):
        return f"{self.organisation}: {self.issuer}"

    @property
    def domain_list(self) -> list[str]:
        return [d.strip().casefold().lstrip("@") for d in self.domains.split(",") if d.strip()]

    def covers(self, email: str) -> bool:
        return email.rpartition("@")[2].casefold() in self.domain_list


class AuditEntryQuerySet(models.QuerySet):
    """Entries are only ever added: no update or delete path exists in the application (and
    on PostgreSQL the table itself refuses both, see migration 0008)."""

    def in_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def update(self, **kwargs):
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what, when, to the organisation's people, roles, teams, settings, tokens and
    surveys, and every export of comments. Never a customer's or an answer's data."""

    # No database constraint and nothing cascades: an entry outlives its organisation and actor.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(_("who"), max_length=200, blank=True)
    action = models.CharField(_("what"), max_length=60)
    subject = models.CharField(_("on what"), max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-at"], name="audit_by_organisation")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")
