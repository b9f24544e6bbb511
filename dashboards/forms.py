"""Forms of the dashboards: a team lead's answer to a customer."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class ReplyForm(forms.Form):
    # A new id each time the form is shown: sending the same form twice answers once.
    submission = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    body = forms.CharField(
        label=_("Your answer"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_(
            "Mailed to the customer in the language they answered in, signed with your name. "
            "It is kept with the comment, so your team sees the loop closed."
        ),
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(body) < 10:
            raise forms.ValidationError(_("Write a few words at least."))
        return body


class PraiseForm(forms.Form):
    """Whom to pass a promoter's comment on to: the whole team or one colleague."""

    TEAM = "team"
    to = forms.ChoiceField(
        label=_("Pass it on to"),
        error_messages={"required": _("Choose the team or a colleague.")},
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(self.TEAM, _("The whole team"))] + [
            (str(person.pk), str(person)) for person in colleagues
        ]


class CustomerReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Customer reference"),
        max_length=200,
        help_text=_(
            "The reference your systems use for the customer (customer number, or the e-mail "
            "address they left on a survey), exactly as it was sent to Koning Klant."
        ),
    )
    confirm = forms.BooleanField(
        label=_("Yes, erase everything stored about this customer. This cannot be undone."),
        required=False,
    )

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not reference:
            raise forms.ValidationError(_("Give the customer's reference."))
        return reference
