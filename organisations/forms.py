"""Forms for people: validation and the messages they see."""

import zoneinfo

from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation, User


class PasswordResetForm(DjangoPasswordResetForm):
    """Sends the reset e-mail in the person's own language when they chose one."""

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
        self.fields["min_group_size"].min_value = 3
        self.fields["min_comment_group_size"].min_value = 3
        self.fields["min_comment_group_size"].required = False  # left empty: unchanged
        self.fields["invitation_throttle_days"].min_value = 1
        for name in ("invitation_throttle_days", "invitation_reminder_days"):
            self.fields[name].required = False  # left empty: unchanged
        self.fields["contact_retention_days"].min_value = 1
        self.fields["contact_retention_days"].max_value = 730
        self.fields["idea_voting"].required = False  # left out: unchanged

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
        group, comments = cleaned.get("min_group_size"), cleaned.get("min_comment_group_size")
        if (cleaned.get("quiet_from") is None) != (cleaned.get("quiet_until") is None):
            self.add_error("quiet_until", _("Give both times of the quiet window, or neither."))
        if group and comments and comments < group:
            self.add_error(
                "min_comment_group_size",
                _("Comments need at least as many people as the other results."),
            )
        return cleaned


class AccountForm(forms.ModelForm):
    """What a person sets for themselves: the language of their e-mails, the weekly digest."""

    class Meta:
        model = User
        fields = ["language", "weekly_digest"]
