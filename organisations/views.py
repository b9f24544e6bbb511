"""Pages about the organisation and its people: people, integration tokens, the organisation's
settings, a person's own settings, logging in and the language switch."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language as django_set_language
from django_ratelimit.decorators import ratelimit

from organisations import audit, login_throttling, roles, webhooks
from organisations.forms import (
    AccountForm,
    IntegrationTokenForm,
    OrganisationSettingsForm,
    PasswordResetForm,
    WebhookForm,
)
from organisations.middleware import shows_secret
from organisations.models import (
    AuditEntry,
    ClockChange,
    IntegrationToken,
    Organisation,
    User,
    Webhook,
)
from organisations.signals import time_zone_changed


@require_safe
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def tokens(request):
    return render(
        request,
        "organisations/tokens.html",
        {
            "tokens": roles.tokens_visible_to(request.user).select_related("created_by"),
            "form": IntegrationTokenForm(),
        },
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def token_create(request):
    form = IntegrationTokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "organisations/tokens.html",
            {"tokens": roles.tokens_visible_to(request.user), "form": form},
            status=400,
        )
    token, raw = IntegrationToken.issue(
        organisation=request.user.organisation,
        name=form.cleaned_data["name"],
        created_by=request.user,
    )
    audit.record(token.organisation, request.user, "token.created", token.name)
    # Shown once, on this response only; never stored or put in a message that could linger.
    response = render(
        request, "organisations/token_created.html", {"token": token, "raw_token": raw}
    )
    response["Cache-Control"] = "private, no-store"
    return shows_secret(response)


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def token_revoke(request, pk):
    token = get_object_or_404(roles.tokens_visible_to(request.user), pk=pk)
    token.revoke()
    audit.record(token.organisation, request.user, "token.revoked", token.name)
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("organisations:tokens")


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_programme)
def organisation_settings(request):
    organisation = request.user.organisation
    previous_zone = organisation.time_zone
    form = OrganisationSettingsForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            # A field left empty keeps its value: only real changes are recorded.
            changes = audit.form_changes(form)
            if changes:
                audit.record(
                    organisation,
                    request.user,
                    "settings.changed",
                    organisation.name,
                    changes=changes,
                )
            if organisation.time_zone != previous_zone:
                change = ClockChange.request(organisation, previous_zone, request.user)
                transaction.on_commit(
                    lambda: time_zone_changed.send(sender=ClockChange, clock_change=change)
                )
                messages.success(
                    request,
                    _(
                        "The settings are saved. Every figure is being recomputed on the new "
                        "time zone; pages say so until that is done."
                    ),
                )
            else:
                messages.success(request, _("The settings are saved."))
        return redirect("organisations:organisation_settings")
    return render(
        request,
        "organisations/organisation_settings.html",
        {
            "form": form,
            "clock_change": ClockChange.objects.filter(organisation=organisation).first(),
        },
        status=400 if form.errors else 200,
    )


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if login_throttling.address_is_throttled(request):
            return render(request, "registration/locked_out.html", status=429)
        return super().post(request, *args, **kwargs)


@method_decorator(
    ratelimit(key="ip", rate=lambda _g, _r: settings.PASSWORD_RESETS_PER_ADDRESS, method="POST"),
    name="post",
)
@method_decorator(
    ratelimit(
        key=lambda _g, request: request.POST.get("email", "").strip().casefold(),
        rate=lambda _g, _r: settings.PASSWORD_RESETS_PER_EMAIL,
        method="POST",
    ),
    name="post",
)
class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm


def too_many_requests(request, exception):
    return render(request, "429.html", status=429)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def account(request):
    """A person's own settings: the language of their e-mails and the weekly digest."""
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("organisations:account")
    return render(request, "organisations/account.html", {"form": form})


@require_POST
def set_language(request):
    """Django's language switch, also remembered on the person for e-mails they receive."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(User._meta.get_field("language").choices):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


DELIVERIES_SHOWN = 50


def _webhook_page(request, form, status=200):
    hooks = roles.webhooks_visible_to(request.user).select_related("team")
    return render(
        request, "organisations/webhooks.html", {"webhooks": hooks, "form": form}, status=status
    )


AUDIT_PAGE_SIZE = 200


@require_safe
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def webhook_list(request):
    return _webhook_page(request, WebhookForm(organisation=request.user.organisation))


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def webhook_create(request):
    form = WebhookForm(request.POST, organisation=request.user.organisation)
    if not form.is_valid():
        return _webhook_page(request, form, status=400)
    hook = Webhook.objects.create(
        organisation=request.user.organisation,
        url=form.cleaned_data["url"],
        events=form.cleaned_data["events"],
        team=form.cleaned_data["team"],
        created_by=request.user,
    )
    audit.record(hook.organisation, request.user, "webhook.added", hook.url, events=hook.events)
    # The secret is shown on this response only: the receiver needs it to check signatures.
    response = render(request, "organisations/webhook_created.html", {"webhook": hook})
    response["Cache-Control"] = "private, no-store"
    return shows_secret(response)


@require_safe
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def webhook_detail(request, pk):
    hook = get_object_or_404(roles.webhooks_visible_to(request.user), pk=pk)
    deliveries = hook.deliveries.order_by("-created_at", "-pk")[:DELIVERIES_SHOWN]
    return render(
        request, "organisations/webhook_detail.html", {"webhook": hook, "deliveries": deliveries}
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def webhook_pause(request, pk):
    hook = get_object_or_404(roles.webhooks_visible_to(request.user), pk=pk)
    if hook.paused_at is None:
        Webhook.objects.filter(pk=hook.pk).update(paused_at=timezone.now())
        audit.record(hook.organisation, request.user, "webhook.paused", hook.url)
        messages.success(request, _("The webhook is paused."))
    else:
        webhooks.resume(hook)
        audit.record(hook.organisation, request.user, "webhook.resumed", hook.url)
        messages.success(request, _("The webhook is active again; waiting events go out now."))
    return redirect("organisations:webhook_detail", pk=hook.pk)


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_tokens)
def webhook_delete(request, pk):
    hook = get_object_or_404(roles.webhooks_visible_to(request.user), pk=pk)
    audit.record(hook.organisation, request.user, "webhook.removed", hook.url)
    hook.delete()
    messages.success(request, _("The webhook is removed; it receives nothing more."))
    return redirect("organisations:webhooks")


@require_safe
@login_required
@roles.allowed_if(roles.can_see_audit_log)
def audit_log(request):
    """The organisation's audit log, newest first (the latest entries; older ones stay)."""
    entries = list(AuditEntry.objects.in_organisation(request.user.organisation)[:AUDIT_PAGE_SIZE])
    models = {"settings": Organisation, "person": User, "role": User}
    for entry in entries:
        entry.label = audit.label(entry.action)
        model = models.get(entry.action.split(".")[0], Organisation)
        entry.lines = audit.detail_lines(entry, model)
    return render(request, "organisations/audit_log.html", {"entries": entries})
