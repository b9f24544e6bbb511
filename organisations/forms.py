"""Forms for people: validation and the messages they see."""

import zoneinfo

from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.forms import SetPasswordForm as DjangoSetPasswordForm
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from organisations import webhooks
from organisations.models import (
    MIN_GROUP_SIZE,
    Department,
    Organisation,
    Role,
    SingleSignOn,
    Team,
    User,
    WebhookEvent,
)
from organisations.people import set_teams, username_for
from organisations.sealing import encrypt_secret


class PasswordResetForm(DjangoPasswordResetForm):
    """Sends the reset e-mail in the person's own language when they chose one; none to people
    whose organisation signs in only with its own accounts."""

    def get_users(self, email):
        for user in super().get_users(email):
            if user.organisation is None or user.organisation.password_login:
                yield user

    def send_mail(self, *args, **kwargs):
        context = args[2] if len(args) > 2 else kwargs["context"]
        language = context["user"].language or translation.get_language()
        with translation.override(language):
            super().send_mail(*args, **kwargs)


class IntegrationTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use it, e.g. “Webshop” or “Call centre CRM”."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name


class OrganisationSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("Days, weeks, months and quarters of the figures follow this time zone."),
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "time_zone",
            "min_responses",
            "min_group_size",
            "min_comment_group_size",
            "contact_retention_days",
            "idea_voting",
            "followup_working_days",
            "holiday_country",
            "invitation_throttle_days",
            "invitation_reminder_days",
            "quiet_from",
            "quiet_until",
        ]
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        self.fields["time_zone"].choices = [(zone, zone) for zone in zones]
        self.fields["min_responses"].min_value = 1
        self.fields["min_group_size"].min_value = MIN_GROUP_SIZE
        self.fields["min_comment_group_size"].min_value = MIN_GROUP_SIZE
        self.fields["min_comment_group_size"].required = False  # left empty: unchanged
        self.fields["invitation_throttle_days"].min_value = 1
        for name in ("invitation_throttle_days", "invitation_reminder_days"):
            self.fields[name].required = False  # left empty: unchanged
        self.fields["contact_retention_days"].min_value = 1
        self.fields["contact_retention_days"].max_value = 730
        self.fields["idea_voting"].required = False  # left out: unchanged
        self.fields["followup_working_days"].min_value = 1
        self.fields["followup_working_days"].max_value = 20
        # Left out (an older form): unchanged.
        self.fields["followup_working_days"].required = False
        self.fields["holiday_country"].required = False

    def clean_followup_working_days(self):
        value = self.cleaned_data["followup_working_days"]
        return self.instance.followup_working_days if value is None else value

    def clean_holiday_country(self):
        return self.cleaned_data["holiday_country"] or self.instance.holiday_country

    def clean_idea_voting(self):
        return self.cleaned_data["idea_voting"] or self.instance.idea_voting

    def clean_invitation_throttle_days(self):
        value = self.cleaned_data["invitation_throttle_days"]
        return self.instance.invitation_throttle_days if value is None else value

    def clean_invitation_reminder_days(self):
        value = self.cleaned_data["invitation_reminder_days"]
        return self.instance.invitation_reminder_days if value is None else value

    def clean_min_comment_group_size(self):
        value = self.cleaned_data["min_comment_group_size"]
        return self.instance.min_comment_group_size if value is None else value

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("quiet_from") is None) != (cleaned.get("quiet_until") is None):
            self.add_error("quiet_until", _("Give both times of the quiet window, or neither."))
        return cleaned


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where Teams, Slack or your own system receives the events: https:// only."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    team = forms.ModelChoiceField(
        label=_("Only for team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("The whole organisation (without comments)"),
        help_text=_("A webhook of one team also receives its customers' comments."),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.in_organisation(organisation)

    def clean_url(self):
        url = self.cleaned_data["url"]
        reason = webhooks.refusal(url)
        if reason:
            raise forms.ValidationError(reason)
        return url


class AccountForm(forms.ModelForm):
    """What a person sets for themselves: the language of their e-mails, the weekly digest."""

    class Meta:
        model = User
        fields = ["language", "weekly_digest"]


class PersonForm(forms.ModelForm):
    """A person as management or HR edits them: who they are, their role and teams."""

    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    leads = forms.ModelMultipleChoiceField(
        label=_("Leads"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Teams this person leads; they must be among their teams."),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "role", "language"]

    def __init__(self, *args, editor, **kwargs):
        super().__init__(*args, **kwargs)
        self.editor = editor
        self.organisation = editor.organisation
        self.signed_in_with_email = bool(self.instance.email) and (
            self.instance.username == username_for(self.instance.email)
        )
        teams = Team.objects.in_organisation(self.organisation).order_by("name")
        self.fields["teams"].queryset = teams
        self.fields["leads"].queryset = teams
        self.fields["email"].required = True
        self.fields["first_name"].required = True
        self.fields["language"].choices = [
            ("", _("The organisation’s default")),
            *self.fields["language"].choices[1:],
        ]
        self.fields["role"].choices = [
            (value, label)
            for value, label in Role.choices
            if value in assignable_roles(editor) or value == self.instance.role
        ]
        if self.instance.pk:
            memberships = self.instance.memberships.filter(team__organisation=self.organisation)
            self.initial["teams"] = [m.team_id for m in memberships]
            self.initial["leads"] = [m.team_id for m in memberships if m.is_lead]

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        taken = User.objects.filter(username=username_for(email)).exclude(pk=self.instance.pk)
        taken = taken | User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Somebody else already has this e-mail address."))
        return email

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role != self.instance.role and role not in assignable_roles(self.editor):
            raise forms.ValidationError(_("Only management gives or takes a management role."))
        return role

    def clean(self):
        cleaned = super().clean()
        teams, leads = cleaned.get("teams") or [], cleaned.get("leads") or []
        outside = [team.name for team in leads if team not in teams]
        if outside:
            self.add_error(
                "leads",
                _("A lead must be in the team they lead: %(teams)s.")
                % {"teams": ", ".join(outside)},
            )
        if cleaned.get("role") == Role.EMPLOYEE and not teams:
            self.add_error("teams", _("An employee needs at least one team."))
        return cleaned

    def save(self, commit=True):
        person = super().save(commit=False)
        person.organisation = self.organisation
        # People sign in with their address; someone who signs in with another name (made by
        # the site's administrator) keeps it.
        if person.pk is None or self.signed_in_with_email:
            person.username = username_for(person.email)
        if person.pk is None:
            person.set_unusable_password()
        with transaction.atomic():
            person.save()
            set_teams(person, self.cleaned_data["teams"], self.cleaned_data["leads"])
        return person


def assignable_roles(editor) -> set[str]:
    """Management gives any role; HR adds and edits people but never a management role."""
    if editor.role == Role.MANAGEMENT:
        return {Role.MANAGEMENT, Role.HR, Role.EMPLOYEE}
    return {Role.HR, Role.EMPLOYEE}


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "department"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.fields["department"].queryset = Department.objects.filter(organisation=organisation)

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        others = Team.objects.in_organisation(self.instance.organisation).exclude(
            pk=self.instance.pk
        )
        if others.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another team already has this slug."))
        return slug


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "slug"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        others = Department.objects.filter(organisation=self.instance.organisation).exclude(
            pk=self.instance.pk
        )
        if others.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another department already has this slug."))
        return slug


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (comma or semicolon, UTF-8) or XLSX with the columns name, email, team, role, "
            "language; optional: lead."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PEOPLE_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


MAX_PEOPLE_FILE_BYTES = 10 * 1024 * 1024


class SetPasswordForm(DjangoSetPasswordForm):
    """Choosing a password from a welcome e-mail."""


class SingleSignOnForm(forms.ModelForm):
    """Management's set-up of the organisation's OpenID Connect provider."""

    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the current one."),
    )
    issuer = forms.URLField(
        label=_("Issuer"),
        assume_scheme="https",
        help_text=SingleSignOn._meta.get_field("issuer").help_text,
    )
    password_login = forms.BooleanField(
        label=_("People may also log in with a password"),
        required=False,
        help_text=_("Switch off once everybody signs in with the organisation's account."),
    )

    class Meta:
        model = SingleSignOn
        fields = ["enabled", "issuer", "client_id", "domains", "create_people", "default_team"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["default_team"].queryset = Team.objects.in_organisation(organisation)
        self.fields["password_login"].initial = organisation.password_login

    def clean_issuer(self):
        return self.cleaned_data["issuer"].rstrip("/")

    def clean_domains(self):
        domains = [
            d.strip().casefold().lstrip("@")
            for d in self.cleaned_data["domains"].split(",")
            if d.strip()
        ]
        if not domains:
            raise forms.ValidationError(_("Name at least one e-mail domain."))
        others = SingleSignOn.objects.exclude(organisation=self.organisation)
        for domain in domains:
            if any(
                domain in other.domain_list for other in others.filter(domains__icontains=domain)
            ):
                raise forms.ValidationError(
                    _("“%(domain)s” already signs in with another organisation.")
                    % {"domain": domain}
                )
        return ", ".join(domains)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("client_secret") and not self.instance.client_secret_encrypted:
            self.add_error("client_secret", _("The provider gives a client secret; enter it."))
        if cleaned.get("create_people") and not cleaned.get("default_team"):
            self.add_error("default_team", _("New people need a team to join."))
        if not cleaned.get("password_login") and not cleaned.get("enabled"):
            self.add_error(
                "password_login",
                _("Password login can be switched off only while single sign-on is enabled."),
            )
        return cleaned

    def save(self, commit=True):
        sign_on = super().save(commit=False)
        if self.cleaned_data.get("client_secret"):
            sign_on.client_secret_encrypted = encrypt_secret(self.cleaned_data["client_secret"])
        sign_on.save()
        Organisation.objects.filter(pk=self.organisation.pk).update(
            password_login=self.cleaned_data["password_login"]
        )
        return sign_on
