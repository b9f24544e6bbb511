"""Pages of the change programme that belong to it alone: creating and editing a programme and
its needs, targets with their progress, and updates. The programme's own page, with its
seven-level plan and diagnosis, combines apps and lives in ``dashboards``."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kpis.metrics import Metric
from organisations import clock, roles
from organisations.enqueue import send
from programmes import targets as target_engine
from programmes import tasks
from programmes.forms import NeedsForm, ProgrammeForm, TargetForm, UpdateForm
from programmes.models import Programme, Target, Update

# --- The programme ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_edit_programme)
def programme_create(request):
    return _programme_form(request, None)


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def programme_edit(request, pk):
    chosen = get_object_or_404(Programme.objects.visible_to(request.user), pk=pk)
    if not roles.can_edit_programme(request.user):
        raise PermissionDenied
    return _programme_form(request, chosen)


def _programme_form(request, chosen):
    """A new programme (``chosen`` None) or changes to one: the same form and answers."""
    form = ProgrammeForm(
        request.POST or None, instance=chosen, organisation=request.user.organisation
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("The programme “%(name)s” is saved.") % {"name": saved})
        return redirect(_programme_url(saved))
    return render(
        request,
        "programmes/programme_form.html",
        {"form": form, "programme": chosen},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def needs_edit(request, pk):
    chosen = get_object_or_404(Programme.objects.visible_to(request.user), pk=pk)
    if not roles.can_edit_programme(request.user) or chosen.is_finished:
        raise PermissionDenied
    form = NeedsForm(request.POST or None, programme=chosen)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The organisation’s needs are saved."))
        return redirect(_programme_url(chosen) + "#needs-heading")
    return render(
        request,
        "programmes/needs_form.html",
        {"form": form, "programme": chosen},
        status=400 if form.errors else 200,
    )


def _programme_url(chosen) -> str:
    if chosen.is_current:
        return reverse("dashboards:programme")
    return reverse("dashboards:programme_detail", args=[chosen.pk])


# --- Targets ------------------------------------------------------------------------------------


@require_safe
@login_required
@roles.member_required
def target_list(request):
    organisation = request.user.organisation
    targets = Target.objects.visible_to(request.user).select_related("team", "programme")
    team = None
    if request.GET.get("team"):  # /targets/?team=slug: one team's targets, e.g. from its page
        team = get_object_or_404(roles.teams_visible_to(request.user), slug=request.GET["team"])
        targets = targets.filter(team=team)
    rows = target_engine.progress(organisation, targets=targets)
    editable = set(Target.objects.editable_by(request.user).values_list("pk", flat=True))
    own = set(roles.own_teams(request.user).values_list("pk", flat=True))
    for row in rows:
        row.can_edit = row.target.pk in editable
    # Your own teams first, then the organisation's, then the other teams'.
    rows.sort(
        key=lambda row: (
            row.target.team_id not in own,
            row.target.team_id is not None,
            row.target.team.name if row.target.team_id else "",
            row.target.due_on,
        )
    )
    return render(
        request,
        "programmes/targets.html",
        {
            "rows": rows,
            "team": team,
            "organisation": organisation,
            "can_set_targets": roles.can_set_targets(request.user),
            "can_propose_idea": roles.can_propose_ideas(request.user),
        },
    )


def _target_form(request, instance=None):
    return TargetForm(
        request.POST or None,
        instance=instance,
        organisation=request.user.organisation,
        teams=roles.teams_managed_by(request.user),
        organisation_allowed=roles.can_set_organisation_targets(request.user),
    )


def _detectability_for(request, form):
    """The hint beside the form: can the asked change be told from noise in one period?"""
    data = form.data if form.is_bound else form.initial
    organisation = request.user.organisation
    metric = data.get("metric") or Metric.NPS
    if metric not in Metric.values:
        return None
    parsed = target_engine.parse_baseline(data.get("baseline") or "")
    period = parsed[0] if parsed else "month"
    team = None
    team_id = data.get("team")
    if team_id:
        teams = roles.teams_managed_by(request.user)
        team = teams.filter(pk=team_id).first() if str(team_id).isdigit() else None
        if team is None:
            return None
    elif not roles.can_set_organisation_targets(request.user):
        return None
    baseline = None
    if parsed:
        baseline = target_engine.baseline_figure(organisation, team, metric, *parsed)
    change = _asked_change(data, baseline)
    result = target_engine.detectability(
        organisation, team=team, metric=metric, period=period, change=change
    )
    return {
        "check": result,
        "baseline": baseline,
        "baseline_label": clock.period_name(parsed[1], parsed[0]) if parsed else "",
        "team": team,
        "is_rate": metric != Metric.NPS,
        "unit": {
            Metric.NPS: _("scores"),
            Metric.ERROR_RATE: _("interactions"),
            Metric.RETURNING_RATE: _("customers"),
        }[metric],
        "period_label": _("quarter") if period == clock.QUARTER else _("month"),
        # The same word the target cards use: a rate changes by percentage points.
        "points": _("percentage points") if metric != Metric.NPS else _("points"),
    }


def _asked_change(data, baseline):
    try:
        amount = float(str(data.get("goal_amount", "")).replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(amount):
        return None
    if data.get("goal_kind") == "absolute":
        if baseline is None or baseline.value is None:
            return None
        return amount - baseline.value
    return amount


def _target_page(request, form, target=None):
    response = render(
        request,
        "programmes/target_form.html",
        {"form": form, "target": target, "hint": _detectability_for(request, form)},
        status=400 if form.errors else 200,
    )
    return response


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_set_targets)
def target_create(request):
    form = _target_form(request)
    if request.method == "POST" and form.is_valid():
        target = form.save(commit=False)
        target.created_by = request.user
        target.programme = Programme.objects.visible_to(request.user).current().first()
        target.save()
        messages.success(request, _("The target is set."))
        return redirect(reverse("programmes:targets") + f"#target-{target.pk}")
    return _target_page(request, form)


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def target_edit(request, pk):
    target = get_object_or_404(Target.objects.visible_to(request.user), pk=pk)
    if not Target.objects.editable_by(request.user).filter(pk=target.pk).exists():
        raise PermissionDenied
    form = _target_form(request, instance=target)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The target is saved."))
        return redirect(reverse("programmes:targets") + f"#target-{target.pk}")
    return _target_page(request, form, target)


@require_POST
@login_required
@roles.member_required
def target_delete(request, pk):
    target = get_object_or_404(Target.objects.visible_to(request.user), pk=pk)
    if not Target.objects.editable_by(request.user).filter(pk=target.pk).exists():
        raise PermissionDenied
    target.delete()
    messages.success(request, _("The target is deleted."))
    return redirect("programmes:targets")


@require_safe
@login_required
@roles.allowed_if(roles.can_set_targets)
def target_check(request):
    """The detectability hint for the target form as it is being filled in (htmx)."""
    form = TargetForm(
        request.GET,
        organisation=request.user.organisation,
        teams=roles.teams_managed_by(request.user),
        organisation_allowed=roles.can_set_organisation_targets(request.user),
    )
    return render(
        request,
        "programmes/partials/target_hint.html",
        {"hint": _detectability_for(request, form)},
    )


# --- Updates ------------------------------------------------------------------------------------


@require_safe
@login_required
@roles.member_required
def update_list(request):
    updates = (
        Update.objects.visible_to(request.user).select_related("author").prefetch_related("teams")
    )
    return render(
        request,
        "programmes/updates.html",
        {"updates": updates[:50], "can_publish": roles.can_publish_updates(request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_publish_updates)
def update_create(request):
    organisation = request.user.organisation
    form = UpdateForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        update = form.save(commit=False)
        update.organisation = organisation
        update.author = request.user
        update.programme = Programme.objects.visible_to(request.user).current().first()
        update.save()
        form.save_m2m()
        if update.send_email:
            transaction.on_commit(lambda: send(tasks.send_update_emails, update.pk))
            messages.success(request, _("The update is published and is being e-mailed."))
        else:
            messages.success(request, _("The update is published."))
        return redirect("programmes:updates")
    return render(
        request,
        "programmes/update_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_publish_updates)
def update_delete(request, pk):
    update = get_object_or_404(Update.objects.editable_by(request.user), pk=pk)
    update.delete()
    messages.success(request, _("The update “%(title)s” is deleted.") % {"title": update.title})
    return redirect("programmes:updates")
