"""Forms for people: validation and the messages they see."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _


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
