"""Forms of the change programme: the programme itself, its six needs, targets and updates."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.metrics import Metric
from organisations import clock
from organisations.models import Team
from programmes import targets as target_engine
from programmes.models import (
    NEED_QUESTIONS,
    Clarity,
    GoalKind,
    Need,
    NeedStatement,
    Programme,
    Target,
    Update,
    UpdateKind,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProgrammeForm(forms.ModelForm):
    make_current = forms.BooleanField(
        label=_("This is the current programme"),
        required=False,
        help_text=_("Every employee sees the current programme; only one is current at a time."),
    )

    class Meta:
        model = Programme
        fields = [
            "name",
            "why",
            "vision",
            "mission",
            "urgency_competitors",
            "urgency_technology",
            "urgency_ambition",
            "starts_on",
            "ends_on",
            "status",
        ]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "why": forms.Textarea(attrs={"rows": 2}),
            "vision": forms.Textarea(attrs={"rows": 3}),
            "mission": forms.Textarea(attrs={"rows": 2}),
            "urgency_competitors": forms.Textarea(attrs={"rows": 2}),
            "urgency_technology": forms.Textarea(attrs={"rows": 2}),
            "urgency_ambition": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["make_current"].initial = self.instance.is_current or not self.instance.pk

    def save(self, commit=True):
        programme = super().save(commit=False)
        programme.organisation = self.organisation
        if not self.cleaned_data["make_current"]:
            programme.is_current = False
        programme.save()
        if self.cleaned_data["make_current"]:
            programme.make_current()
        return programme


class NeedsForm(forms.Form):
    """The six needs at once: a statement and how clearly it is stated, for each."""

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        existing = {need.need: need for need in programme.needs.all()}
        self.rows = []
        for need in Need:
            current = existing.get(need.value)
            statement = f"{need.value}_statement"
            clarity = f"{need.value}_clarity"
            self.fields[statement] = forms.CharField(
                label=_("Statement"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                initial=current.statement if current else "",
                help_text=NEED_QUESTIONS[need],
            )
            self.fields[clarity] = forms.TypedChoiceField(
                label=_("How clearly it is stated"),
                choices=Clarity.choices,
                coerce=int,
                initial=current.clarity if current else Clarity.NOT_STATED,
            )
            self.rows.append((need, self[statement], self[clarity]))

    def clean(self):
        cleaned = super().clean()
        for need in Need:
            statement = (cleaned.get(f"{need.value}_statement") or "").strip()
            clarity = cleaned.get(f"{need.value}_clarity")
            if not statement and clarity not in (None, Clarity.NOT_STATED):
                self.add_error(
                    f"{need.value}_clarity",
                    _("Nothing is stated yet, so it cannot be clear: write the statement first."),
                )
        return cleaned

    def save(self):
        for need in Need:
            NeedStatement.objects.update_or_create(
                programme=self.programme,
                need=need.value,
                defaults={
                    "statement": self.cleaned_data[f"{need.value}_statement"].strip(),
                    "clarity": self.cleaned_data[f"{need.value}_clarity"],
                },
            )


class TargetForm(forms.ModelForm):
    """A target on a metric, from a baseline period read from the rollups to a goal."""

    baseline = forms.ChoiceField(
        label=_("Baseline period"),
        help_text=_("Its figure is read from the KPIs; progress is measured per period like it."),
    )

    class Meta:
        model = Target
        fields = ["team", "metric", "goal_kind", "goal_amount", "due_on", "what_for"]
        widgets = {"due_on": DATE, "goal_kind": forms.RadioSelect}
        labels = {"goal_amount": _("Goal")}
        help_texts = {
            "goal_amount": _(
                "A change (“8” for NPS +8, “-5” for an error rate 5 percentage points lower) "
                "or the value to reach (“40”, “5” for 5%)."
            )
        }

    def __init__(self, *args, organisation, teams, organisation_allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.organisation_allowed = organisation_allowed
        team_field = self.fields["team"]
        team_field.queryset = teams
        team_field.required = not organisation_allowed
        team_field.empty_label = _("The whole organisation") if organisation_allowed else None
        team_field.help_text = ""
        self.fields["metric"].choices = Metric.choices
        self.fields["goal_kind"].choices = GoalKind.choices
        self.fields["goal_amount"].widget.attrs["step"] = "0.1"
        choices = [
            (group, options)
            for group, _kind, options in target_engine.baseline_choices(organisation)
        ]
        if self.instance.pk:
            # The target's own baseline stays selectable, however long ago it was.
            own = f"{self.instance.period}:{self.instance.baseline_start.isoformat()}"
            if own not in {value for _group, options in choices for value, _label in options}:
                label = clock.period_name(self.instance.baseline_start, self.instance.period)
                choices.append((own, label))
            self.initial.setdefault("baseline", own)
        else:
            self.initial.setdefault("metric", Metric.NPS)
            first_team = None if organisation_allowed else teams.first()
            if first_team is not None:
                self.initial.setdefault("team", first_team.pk)
            self.initial.setdefault("baseline", choices[0][1][0][0])
        self.fields["baseline"].choices = choices
        self.baseline_figure = None

    def clean_baseline(self):
        parsed = target_engine.parse_baseline(self.cleaned_data["baseline"])
        if parsed is None:
            raise forms.ValidationError(_("Choose a month or quarter for the baseline."))
        return parsed

    def clean(self):
        cleaned = super().clean()
        baseline, metric = cleaned.get("baseline"), cleaned.get("metric")
        amount, goal_kind = cleaned.get("goal_amount"), cleaned.get("goal_kind")
        if baseline is None or metric is None:
            return cleaned
        kind, start = baseline
        self.baseline_figure = target_engine.baseline_figure(
            self.organisation, cleaned.get("team"), metric, kind, start
        )
        if amount is None or goal_kind is None:
            return cleaned
        low, high = target_engine.RANGES[metric]
        base = self.baseline_figure.value
        if goal_kind == GoalKind.CHANGE:
            if base is None:
                self.add_error(
                    "baseline",
                    _(
                        "There are no figures for this period, so a change cannot be measured "
                        "from it: choose another period or set a value to reach."
                    ),
                )
                return cleaned
            if amount == 0:
                self.add_error("goal_amount", _("A change of zero is no target."))
                return cleaned
            goal = base + amount
        else:
            goal = amount
            if base is not None and round(goal, 1) == round(base, 1):
                self.add_error("goal_amount", _("The goal equals the baseline."))
                return cleaned
        if not low <= goal <= high:
            self.add_error(
                "goal_amount",
                _("The goal comes to %(goal)s; it must lie between %(low)s and %(high)s.")
                % {"goal": f"{goal:g}", "low": f"{low:g}", "high": f"{high:g}"},
            )
        due_on = cleaned.get("due_on")
        if due_on and due_on <= clock.next_start(start, kind):
            self.add_error("due_on", _("The due date must lie after the baseline period."))
        return cleaned

    def save(self, commit=True):
        target = super().save(commit=False)
        target.period, target.baseline_start = self.cleaned_data["baseline"]
        target.organisation = self.organisation
        if commit:
            target.save()
        return target


class UpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["kind", "title", "body", "teams", "send_email"]
        widgets = {
            "teams": forms.CheckboxSelectMultiple,
            "body": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.in_organisation(organisation)
        self.fields["kind"].choices = UpdateKind.choices
        self.fields["send_email"].help_text = _(
            "Your message stays as you wrote it; the e-mail around it is in each recipient’s "
            "own language."
        )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Give the update a title."))
        return title
