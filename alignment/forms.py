"""Forms for values, opening an alignment survey and answering it."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alignment.models import MOTIVATORS, NEEDS, SCALE_MAX, SCALE_MIN, Value

SCALE = [(score, str(score)) for score in range(SCALE_MIN, SCALE_MAX + 1)]
COMMENT_MAX = 2000

NEED_QUESTIONS = {
    "identity": _("The organisation makes clear who we are."),
    "purpose": _("The organisation makes clear what we are here for."),
    "direction": _("The organisation makes clear where we are heading."),
    "structure": _("The way we are organised helps me do my work."),
    "energy": _("There is energy and drive to get things done."),
    "expression": _("I can say what I think and it is heard."),
}
MOTIVATOR_QUESTIONS = {
    "autonomy": _("I decide for myself how I do my work."),
    "mastery": _("I get better at my work and can grow."),
    "work_purpose": _("My work serves a purpose I care about."),
}


class ValueForm(forms.ModelForm):
    class Meta:
        model = Value
        fields = ["name", "description", "behaviour", "position"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "behaviour": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["position"].required = False
        self.fields["position"].help_text = _("Values are listed from low to high.")

    def clean_position(self):
        return self.cleaned_data["position"] or 0

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Value.objects.filter(organisation=self.organisation, name__iexact=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("There is already a value with this name."))
        return name

    def save(self, commit=True):
        self.instance.organisation = self.organisation
        return super().save(commit)


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    opens_on = forms.DateField(
        label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    closes_on = forms.DateField(
        label=_("Closes on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the whole organisation."),
    )

    def __init__(self, *args, organisation, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["teams"].queryset = teams

    def clean(self):
        cleaned = super().clean()
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on:
            if closes_on < opens_on:
                self.add_error("closes_on", _("The survey cannot close before it opens."))
            elif closes_on < timezone.localdate():
                self.add_error("closes_on", _("The closing date has passed."))
        if not Value.objects.filter(organisation=self.organisation).exists():
            raise forms.ValidationError(_("Add the organisation's values first."))
        return cleaned


def scale_field(label):
    return forms.TypedChoiceField(
        label=label, choices=SCALE, coerce=int, widget=forms.RadioSelect, required=True
    )


class AnswerForm(forms.Form):
    """Per value how important it is and how much it is lived; the needs; motivation."""

    team = forms.ModelChoiceField(label=_("Your team"), queryset=None, empty_label=None)
    comment = forms.CharField(
        label=_("Anything you want to add? (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Shown only to groups of enough people, without names or e-mail addresses. "
            "Leave out anything that tells who you are."
        ),
    )

    def __init__(self, *args, values, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey_values = list(values)
        self.fields["team"].queryset = teams
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk
            self.fields["team"].widget = forms.HiddenInput()
        for value in self.survey_values:
            self.fields[f"importance_{value.pk}"] = scale_field(_("How important is it to you?"))
            self.fields[f"lived_{value.pk}"] = scale_field(
                _("How much do you see it lived in your team?")
            )
        for key, _label in NEEDS:
            self.fields[key] = scale_field(NEED_QUESTIONS[key])
        for key, _label in MOTIVATORS:
            self.fields[key] = scale_field(MOTIVATOR_QUESTIONS[key])

    def value_rows(self):
        return [
            (value, self[f"importance_{value.pk}"], self[f"lived_{value.pk}"])
            for value in self.survey_values
        ]

    def need_fields(self):
        return [self[key] for key, _label in NEEDS]

    def motivator_fields(self):
        return [self[key] for key, _label in MOTIVATORS]

    def value_scores(self) -> dict:
        data = self.cleaned_data
        return {
            value.pk: (data[f"importance_{value.pk}"], data[f"lived_{value.pk}"])
            for value in self.survey_values
        }

    def scores(self) -> dict:
        return {key: self.cleaned_data[key] for key, _label in NEEDS + MOTIVATORS}
