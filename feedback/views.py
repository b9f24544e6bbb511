"""Feedback pages: the customer's public survey form, survey links and their QR codes,
complaints logged by hand, themes, and file imports with their progress."""

import uuid
import zoneinfo

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.core import is_ratelimited

from feedback import ingest, invitations, tasks
from feedback.forms import (
    ComplaintForm,
    ImportForm,
    InvitationAnswerForm,
    SurveyForm,
    SurveyLinkForm,
    ThemeForm,
)
from feedback.models import ImportJob, Invitation, SurveyLink, Theme
from organisations import roles
from organisations.enqueue import send
from organisations.middleware import shows_secret

# --- The customer's survey form (public) --------------------------------------------------------


def _link_or_404(token):
    return get_object_or_404(
        SurveyLink.objects.usable().select_related("team", "organisation"), token=token
    )


def _rate_limited_by_address(request) -> bool:
    return is_ratelimited(
        request,
        group="survey-address",
        key="ip",
        rate=settings.SURVEY_RATE_PER_ADDRESS,
        increment=True,
    )


def _rate_limited(request, link) -> bool:
    by_address = is_ratelimited(
        request,
        group="survey-address",
        key="ip",
        rate=settings.SURVEY_RATE_PER_ADDRESS,
        increment=True,
    )
    by_link = is_ratelimited(
        request,
        group="survey-link",
        key=lambda _group, _request: link.token,
        rate=settings.SURVEY_RATE_PER_LINK,
        increment=True,
    )
    return by_address or by_link


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, token):
    link = _link_or_404(token)
    context = {"link": link, "team": link.team}
    if link.is_paused:
        return render(request, "feedback/survey_paused.html", context)
    if request.method == "POST":
        if _rate_limited(request, link):
            return render(request, "feedback/survey_rate_limited.html", context, status=429)
        form = SurveyForm(request.POST)
        if form.is_valid():
            if not form.cleaned_data["website"]:  # the honeypot stayed empty: a person
                data = form.cleaned_data
                ingest.store_survey_answer(
                    link,
                    score=data["score"],
                    comment=data["comment"],
                    email=data["email"],
                    submission=data["submission"],
                    language=get_language() or "",
                )
            return redirect("feedback:survey_thanks", token=link.token)
        status = 400
    else:
        form = SurveyForm(initial={"submission": uuid.uuid4().hex})
        status = 200
    return render(request, "feedback/survey.html", context | {"form": form}, status=status)


@require_safe
def survey_thanks(request, token):
    link = _link_or_404(token)
    return render(request, "feedback/survey_thanks.html", {"link": link, "team": link.team})


# --- Personal invitations (public) ---------------------------------------------------------------


def _invitation_or_404(request, token):
    """The invitation, its page in the customer's language unless they chose another one."""
    personal = get_object_or_404(
        Invitation.objects.select_related("team", "team__organisation"), token=token
    )
    if personal.language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(personal.language)
        request.LANGUAGE_CODE = personal.language
    return personal


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The survey form behind a personal link: answered once; a used or expired link says so."""
    personal = _invitation_or_404(request, token)
    context = {"invitation": personal, "team": personal.team}
    if personal.is_answered:
        return render(request, "feedback/invitation_closed.html", context | {"answered": True})
    if personal.is_expired():
        return render(request, "feedback/invitation_closed.html", context, status=410)
    form = InvitationAnswerForm(request.POST or None)
    if request.method == "POST":
        if _rate_limited_by_address(request):
            return render(request, "feedback/survey_rate_limited.html", context, status=429)
        if form.is_valid():
            data = form.cleaned_data
            if not data["website"]:
                ingest.store_invitation_answer(
                    personal,
                    score=data["score"],
                    comment=data["comment"],
                    language=get_language() or "",
                )
            return render(request, "feedback/invitation_closed.html", context | {"thanks": True})
    status = 400 if form.errors else 200
    return render(request, "feedback/invitation.html", context | {"form": form}, status=status)


@never_cache
@csrf_exempt  # mail programs post List-Unsubscribe=One-Click without a form of ours (RFC 8058)
@require_http_methods(["GET", "POST"])
def invitation_stop(request, token):
    """Don't ask me again: one click on the button, or the mail program's one-click POST."""
    personal = _invitation_or_404(request, token)
    context = {"invitation": personal, "team": personal.team}
    if request.method == "POST":
        invitations.opt_out(personal)
        return render(request, "feedback/invitation_stop.html", context | {"done": True})
    return render(request, "feedback/invitation_stop.html", context)


# --- Survey links ------------------------------------------------------------------------------


@require_safe
@login_required
@roles.member_required
def survey_links(request, slug):
    team = roles.get_managed_team_or_404(request.user, slug)
    return shows_secret(
        render(
            request,
            "feedback/survey_links.html",
            {
                "team": team,
                "links": SurveyLink.objects.managed_by(request.user).filter(team=team),
                "form": SurveyLinkForm(),
            },
        )
    )


@require_POST
@login_required
@roles.member_required
def survey_link_create(request, slug):
    team = roles.get_managed_team_or_404(request.user, slug)
    form = SurveyLinkForm(request.POST)
    if not form.is_valid():
        links = SurveyLink.objects.managed_by(request.user).filter(team=team)
        context = {"team": team, "links": links, "form": form}
        return shows_secret(render(request, "feedback/survey_links.html", context, status=400))
    link = form.save(commit=False)
    link.team = team
    link.organisation = team.organisation
    link.created_by = request.user
    link.save()
    messages.success(request, _("Survey link “%(name)s” is ready.") % {"name": link.name})
    return redirect("feedback:survey_links", slug=team.slug)


def _managed_link(request, pk):
    return get_object_or_404(SurveyLink.objects.managed_by(request.user).usable(), pk=pk)


@require_POST
@login_required
def survey_link_pause(request, pk):
    link = _managed_link(request, pk)
    link.is_paused = not link.is_paused
    link.save(update_fields=["is_paused"])
    if link.is_paused:
        messages.success(request, _("“%(name)s” is paused.") % {"name": link.name})
    else:
        messages.success(request, _("“%(name)s” accepts answers again.") % {"name": link.name})
    return redirect("feedback:survey_links", slug=link.team.slug)


@require_POST
@login_required
def survey_link_revoke(request, pk):
    link = _managed_link(request, pk)
    link.revoke()
    messages.success(
        request, _("“%(name)s” is revoked; its address no longer works.") % {"name": link.name}
    )
    return redirect("feedback:survey_links", slug=link.team.slug)


@require_safe
@login_required
def survey_link_qr(request, pk, fmt):
    link = _managed_link(request, pk)
    url = request.build_absolute_uri(reverse("feedback:survey", args=[link.token]))
    code = segno.make(url, error="m")
    response = HttpResponse(content_type="image/svg+xml" if fmt == "svg" else "image/png")
    code.save(response, kind=fmt, scale=8 if fmt == "svg" else 10, border=2)
    filename = f"survey-{link.team.slug}-{link.pk}.{fmt}"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Complaints logged by hand --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def complaint_create(request, slug):
    team = roles.get_managed_team_or_404(request.user, slug)
    zone = zoneinfo.ZoneInfo(team.organisation.time_zone)
    with timezone.override(zone):  # times typed in are the organisation's local time
        if request.method == "POST":
            form = ComplaintForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                ingest.store_complaint(
                    team,
                    occurred_at=data["occurred_at"],
                    customer_ref=data["customer_ref"],
                    note=data["note"],
                    logged_by=request.user,
                )
                messages.success(request, _("The complaint is logged."))
                return redirect("dashboards:team_detail", slug=team.slug)
            status = 400
        else:
            now = timezone.localtime().replace(second=0, microsecond=0)
            form = ComplaintForm(initial={"occurred_at": now})
            status = 200
        return render(
            request, "feedback/complaint_form.html", {"team": team, "form": form}, status=status
        )


# --- Themes --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_themes)
def themes(request):
    organisation = request.user.organisation
    form = ThemeForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        theme = form.save(commit=False)
        theme.organisation = organisation
        theme.save()
        _retag_after_commit(organisation)
        messages.success(request, _("Theme “%(name)s” is added.") % {"name": theme.name})
        return redirect("feedback:themes")
    return render(
        request,
        "feedback/themes.html",
        {"themes": Theme.objects.managed_by(request.user), "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_themes)
def theme_edit(request, pk):
    theme = get_object_or_404(Theme.objects.managed_by(request.user), pk=pk)
    form = ThemeForm(request.POST or None, instance=theme, organisation=theme.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        _retag_after_commit(theme.organisation)
        messages.success(request, _("Theme “%(name)s” is saved.") % {"name": theme.name})
        return redirect("feedback:themes")
    return render(
        request,
        "feedback/theme_form.html",
        {"theme": theme, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_themes)
def theme_delete(request, pk):
    theme = get_object_or_404(Theme.objects.managed_by(request.user), pk=pk)
    theme.delete()
    _retag_after_commit(theme.organisation)
    messages.success(request, _("Theme “%(name)s” is deleted.") % {"name": theme.name})
    return redirect("feedback:themes")


def _retag_after_commit(organisation):
    transaction.on_commit(lambda: send(tasks.retag_comments, organisation.pk))


# --- Imports -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_import_feedback)
def imports(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            organisation=request.user.organisation,
            kind=form.cleaned_data["kind"],
            filename=upload.name[:255],
            content=upload.read(),
            created_by=request.user,
        )
        transaction.on_commit(lambda: tasks.enqueue_import(job.pk))
        return redirect("feedback:import_detail", pk=job.pk)
    jobs = ImportJob.objects.visible_to(request.user)[:10]
    return render(
        request,
        "feedback/imports.html",
        {"form": form, "jobs": jobs},
        status=400 if form.errors else 200,
    )


@require_safe
@login_required
@roles.allowed_if(roles.can_import_feedback)
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
    template = (
        "feedback/partials/import_progress.html" if request.htmx else "feedback/import_detail.html"
    )
    response = render(request, template, {"job": job})
    return response
