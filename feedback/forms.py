"""Forms people fill in: the customer's survey, survey links, complaints, themes, imports.

Rows from the API and imported files are validated by ``feedback.rows``; the survey form ends
in the same ingest path.
"""

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.models import ImportJob, Sampling, SurveyLink, Theme
from feedback.rows import CLOCK_SKEW, EARLIEST, MAX_COMMENT

SCORES = [(str(n), str(n)) for n in range(11)]


class ScoreWidget(forms.RadioSelect):
    template_name = "feedback/widgets/score.html"


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely is it that you would recommend us to a friend or colleague?"),
        choices=SCORES,
        coerce=int,
        widget=ScoreWidget,
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )
    comment = forms.CharField(
        label=_("What is the most important reason for your score?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    may_contact = forms.BooleanField(label=_("You may contact me about my answer"), required=False)
    email = forms.EmailField(label=_("Your e-mail address"), required=False, max_length=254)
    # One id per form shown: a double click or a reload stores the answer once.
    submission = forms.CharField(widget=forms.HiddenInput, max_length=32)
    # Honeypot: hidden from people by CSS; bots fill in every field they find.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_submission(self):
        value = self.cleaned_data["submission"]
        if not re.fullmatch(r"[0-9a-f]{32}", value):
            raise forms.ValidationError(_("Reload the page and try again."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("may_contact") and not data.get("email"):
            self.add_error("email", _("Fill in your e-mail address, so we can contact you."))
        if not data.get("may_contact"):
            data["email"] = ""  # only kept with consent
        return data


class InvitationAnswerForm(forms.Form):
    """The same question as the public form, through a personal link: no address asked (the
    link already knows its customer), one answer per link."""

    score = SurveyForm.base_fields["score"]
    comment = SurveyForm.base_fields["comment"]
    website = SurveyForm.base_fields["website"]


class SamplingForm(forms.ModelForm):
    """How a team invites its customers after a contact (its lead or management sets it)."""

    class Meta:
        model = Sampling
        fields = ["mode", "share"]
        widgets = {"mode": forms.RadioSelect}

    def clean_share(self):
        share = self.cleaned_data["share"]
        if not 1 <= share <= 100:
            raise forms.ValidationError(_("A share from 1 to 100 %."))
        return share


class SurveyLinkForm(forms.ModelForm):
    class Meta:
        model = SurveyLink
        fields = ["name"]


class ComplaintForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    customer_ref = forms.CharField(
        label=_("Customer number or reference"),
        required=False,
        max_length=200,
        help_text=_("Optional. Stored only as a fingerprint, to count returning customers."),
    )
    note = forms.CharField(
        label=_("What went wrong"),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("E-mail addresses, phone numbers and IBANs are removed."),
    )

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError(_("That is in the future."))
        if value < EARLIEST:
            raise forms.ValidationError(_("Too long ago: dates from 2000 on."))
        return value


class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["name", "keywords"]
        widgets = {"keywords": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Theme.objects.filter(organisation=self.organisation, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("There is already a theme with this name."))
        return name

    def clean_keywords(self):
        words = [w.strip() for w in self.cleaned_data["keywords"].split(",") if w.strip()]
        if not words:
            raise forms.ValidationError(_("Give at least one keyword."))
        return ", ".join(dict.fromkeys(words))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (comma or semicolon separated, UTF-8) or XLSX.")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(megabytes)s MB; split it in parts.")
                % {"megabytes": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload
