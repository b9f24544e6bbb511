"""The form of a plan item: what it serves one level up, owner, status, effort, due date."""

from django import forms
from django.utils.translation import gettext_lazy as _

from levels.models import Level, PlanItem


class ServesChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class PlanItemForm(forms.ModelForm):
    serves = ServesChoiceField(
        queryset=PlanItem.objects.none(),
        required=False,
        label=_("Serves"),
        empty_label=_("— nothing yet —"),
        help_text=_("The item one level up that this item is for."),
    )

    class Meta:
        model = PlanItem
        fields = [
            "title",
            "description",
            "serves",
            "owner",
            "status",
            "effort_hours",
            "effort_money",
            "due_on",
            "targets",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "targets": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, programme, level, owners, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.programme = programme
        self.instance.level = level
        if level == Level.MISSION:
            del self.fields["serves"]
        else:
            self.fields["serves"].queryset = PlanItem.objects.in_programme(programme).filter(
                level=level - 1
            )
        self.fields["owner"].queryset = owners
        self.fields["targets"].queryset = targets
        self.fields["targets"].help_text = _("The targets this item helps to reach.")
        for name in ("effort_hours", "effort_money"):
            self.fields[name].min_value = 0
            self.fields[name].widget.attrs["min"] = "0"
