"""Signing in with the organisation's own account (OpenID Connect), and management's page where
it is set up. The flow itself is mozilla-django-oidc's; see organisations/sso.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from mozilla_django_oidc import views as oidc_views
from requests import RequestException

from organisations import audit, roles, sso
from organisations.forms import SingleSignOnForm
from organisations.models import SingleSignOn

REFUSAL_MESSAGES = {
    "state": gettext_lazy(
        "This sign-in was not started here, or it was already used. Start again from the "
        "login page."
    ),
    "nonce": gettext_lazy(
        "The answer of your organisation's sign-in service does not belong to this sign-in. "
        "Start again from the login page."
    ),
    "token": gettext_lazy(
        "The answer of your organisation's sign-in service could not be verified, so it was "
        "refused."
    ),
    "unverified": gettext_lazy(
        "Your organisation's sign-in service has not confirmed your e-mail address, so it "
        "cannot be used to sign in."
    ),
    "domain": gettext_lazy(
        "Your e-mail address is not one of the domains this organisation signs in with."
    ),
    "unknown": gettext_lazy(
        "There is no account for your e-mail address here. Ask your manager or HR to add you."
    ),
    "ambiguous": gettext_lazy(
        "More than one account has your e-mail address. Ask your manager or HR to fix this."
    ),
    "unavailable": gettext_lazy(
        "Your organisation's sign-in service cannot be reached just now. Try again later."
    ),
    "provider": gettext_lazy("Your organisation's sign-in service did not sign you in."),
    "none": gettext_lazy(
        "Nobody signs in with their organisation's account for this e-mail address. Log in "
        "with your password."
    ),
}


def refused(request, reason: str):
    return render(
        request,
        "registration/sso_refused.html",
        {"message": REFUSAL_MESSAGES[reason]},
        status=403,
    )


class SignOnStartForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your work e-mail address"))


class StartView(oidc_views.OIDCAuthenticationRequestView):
    """``/accounts/sso/?email=…``: off to the provider of the organisation of that address."""

    def __init__(self, *args, **kwargs):
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        form = SignOnStartForm(request.GET)
        if not form.is_valid():
            return redirect("login")
        found = sso.for_email(form.cleaned_data["email"])
        if found is None:
            return refused(request, "none")
        try:
            configuration = sso.discovery(found.issuer)
        except (RequestException, ValueError, SuspiciousOperation):
            return refused(request, "unavailable")
        self.OIDC_OP_AUTH_ENDPOINT = configuration["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = found.client_id
        to_provider = super().get(request)
        newest_state = list(request.session["oidc_states"])[-1]
        sso.remember(request, newest_state, found)
        # A page that moves on by itself, not a redirect: the login form's Content-Security-
        # Policy allows forms to lead only to this site, redirects included.
        return render(
            request,
            "registration/sso_continue.html",
            {"url": to_provider["Location"], "organisation": found.organisation},
        )

    def get_extra_params(self, request):
        return {"login_hint": request.GET.get("email", "")}


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """The provider's answer: signed in, or a page that says plainly why not."""

    def get(self, request):
        if request.GET.get("error"):
            super().get(request)
            return refused(request, "provider")
        self.user = NOT_TRIED
        try:
            response = super().get(request)
        except sso.Refused as refusal:
            return refused(request, str(refusal))
        except SuspiciousOperation:  # a state this session never started
            return refused(request, "state")
        except RequestException:
            return refused(request, "unavailable")
        if self.user is NOT_TRIED:  # no sign-in under way in this session (or it was used)
            return refused(request, "state")
        if self.user is None or not self.user.is_active:
            return refused(request, "unknown")
        return response


NOT_TRIED = object()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_programme)
def single_sign_on(request):
    organisation = request.user.organisation
    instance = SingleSignOn.objects.filter(organisation=organisation).first()
    form = SingleSignOnForm(request.POST or None, instance=instance, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            changes = audit.form_changes(form, secret={"client_secret"})
            if changes:
                audit.record(organisation, request.user, "single_sign_on.changed", changes=changes)
        messages.success(request, _("Single sign-on is saved."))
        return redirect("organisations:single_sign_on")
    return render(
        request,
        "organisations/single_sign_on.html",
        {"form": form, "sso": instance},
        status=400 if form.errors else 200,
    )
