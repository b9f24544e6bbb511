"""The forms of a follow-up: closing it with what was learned, handing it to a colleague."""

from django import forms
from django.utils.translation import gettext_lazy as _

from followups.models import State


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (State.CLOSED, _("We spoke to the customer")),
            (State.UNREACHABLE, _("We could not reach the customer")),
        ],
        widget=forms.RadioSelect,
        initial=State.CLOSED,
        error_messages={"required": _("Choose whether you reached the customer.")},
    )
    learned = forms.CharField(
        label=_("What did you learn?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages={
            "required": _("Write down what you learned (or what you tried) before closing.")
        },
    )


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Hand to"),
        queryset=None,
        error_messages={
            "required": _("Choose a colleague."),
            "invalid_choice": _("That person is not in this team: a follow-up stays with it."),
        },
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = colleagues
