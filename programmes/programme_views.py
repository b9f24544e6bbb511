"""Pages of the change programme: the programme with its needs and seven-level plan (edited
inline with htmx), the coherence diagnosis, targets with their progress, and updates."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from feedback import periods
from feedback.models import Rollup
from feedback.tasks import send
from levels import coherence
from levels.forms import PlanItemForm
from levels.models import LEVEL_QUESTIONS, Level, PlanItem
from programmes import targets as target_engine
from programmes import tasks, visibility
from programmes.models import NEED_QUESTIONS, Metric, Need, Target
from programmes.programme_forms import NeedsForm, ProgrammeForm, TargetForm, UpdateForm

# --- The programme ----------------------------------------------------------------------------


@require_safe
@login_required
@visibility.member_required
def programme(request):
    current = visibility.programmes_visible_to(request.user).current().first()
    if current is None:
        return render(
            request,
            "programmes/programme_none.html",
            {
                "can_edit": visibility.can_edit_programme(request.user),
                "programmes": visibility.programmes_visible_to(request.user),
            },
        )
    return _programme_page(request, current)


@require_safe
@login_required
@visibility.member_required
def programme_detail(request, pk):
    chosen = get_object_or_404(visibility.programmes_visible_to(request.user), pk=pk)
    if chosen.is_current:
        return redirect("programmes:programme")
    return _programme_page(request, chosen)


def _programme_page(request, chosen):
    plan = _plan(request.user, chosen)
    return render(
        request,
        "programmes/programme.html",
        plan
        | {
            "needs": _needs(chosen),
            "can_edit": visibility.can_edit_programme(request.user),
            "other_programmes": visibility.programmes_visible_to(request.user).exclude(
                pk=chosen.pk
            ),
        },
    )


def _needs(chosen):
    stated = {need.need: need for need in chosen.needs.all()}
    return [
        {
            "need": need,
            "question": NEED_QUESTIONS[need],
            "statement": stated[need.value].statement if need.value in stated else "",
            "clarity": stated[need.value].clarity if need.value in stated else 0,
            "clarity_label": stated[need.value].get_clarity_display()
            if need.value in stated
            else _("Not stated"),
        }
        for need in Need
    ]


def _plan(user, chosen) -> dict:
    """The plan as a ladder: per level its items, each with its chain up to the mission and
    the findings of the diagnosis that concern it."""
    items = list(
        PlanItem.objects.in_programme(chosen)
        .select_related("owner")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.select_related("team", "organisation"))
        )
    )
    by_id = {item.pk: item for item in items}
    for item in items:
        chain, seen, parent = [], {item.pk}, by_id.get(item.serves_id)
        while parent is not None and parent.pk not in seen:
            chain.append(parent)
            seen.add(parent.pk)
            parent = by_id.get(parent.serves_id)
        item.chain = list(reversed(chain))
        item.reaches_mission = bool(chain) and chain[-1].level == Level.MISSION
        item.serves_item = by_id.get(item.serves_id)
    programme_targets = list(
        Target.objects.filter(programme=chosen).select_related("team", "organisation")
    )
    with_plan = {
        target.pk for item in items if item.status != "dropped" for target in item.targets.all()
    }
    idea_counts = visibility.ideas_visible_to(user).for_programme(chosen).count_per_level()
    findings = coherence.diagnose(items, programme_targets, with_plan, idea_counts)
    orphans = {f.items[0].pk for f in findings if f.rule == coherence.ORPHAN}
    for item in items:
        item.is_orphan = item.pk in orphans
    levels = [
        {
            "level": level,
            "label": level.label,
            "question": LEVEL_QUESTIONS[level],
            "items": [item for item in items if item.level == level],
            "empty_above_worked": any(
                f.rule == coherence.LEVEL_ABOVE_EMPTY and f.level == level for f in findings
            ),
        }
        for level in Level
    ]
    return {
        "programme": chosen,
        "levels": levels,
        "findings": findings,
        "items": items,
        "idea_counts": [(Level(level), count) for level, count in idea_counts.items()],
        "can_edit": visibility.can_edit_programme(user),
    }


@require_http_methods(["GET", "POST"])
@login_required
@visibility.allowed_if(visibility.can_edit_programme)
def programme_create(request):
    return _programme_form(request, None)


@require_http_methods(["GET", "POST"])
@login_required
@visibility.member_required
def programme_edit(request, pk):
    chosen = get_object_or_404(visibility.programmes_visible_to(request.user), pk=pk)
    if not visibility.can_edit_programme(request.user):
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
@visibility.member_required
def needs_edit(request, pk):
    chosen = get_object_or_404(visibility.programmes_visible_to(request.user), pk=pk)
    if not visibility.can_edit_programme(request.user):
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
        return reverse("programmes:programme")
    return reverse("programmes:programme_detail", args=[chosen.pk])


@require_safe
@login_required
@visibility.member_required
def diagnosis(request, pk):
    chosen = get_object_or_404(visibility.programmes_visible_to(request.user), pk=pk)
    plan = _plan(request.user, chosen)
    return render(
        request,
        "programmes/diagnosis.html",
        plan
        | {
            "efforts": coherence.effort_by_level(plan["items"]),
            "programme_url": _programme_url(chosen),
        },
    )


# --- Plan items, edited inline ------------------------------------------------------------------


def _item_form(request, chosen, level, instance=None):
    return PlanItemForm(
        request.POST or None,
        instance=instance,
        programme=chosen,
        level=level,
        owners=visibility.plan_item_owners_for(request.user),
        targets=visibility.targets_visible_to(request.user).select_related("team", "organisation"),
    )


def _form_status(request, form) -> int:
    """400 for a form with errors, except to htmx, which swaps in only successful answers."""
    return 400 if form.errors and not request.htmx else 200


def _tell(request, message):
    """A message for the next full page; an htmx change shows itself in place."""
    if not request.htmx:
        messages.success(request, message)


def _ladder_response(request, chosen):
    """After a change: the ladder again (the fragment for htmx, the page otherwise)."""
    if request.htmx:  # the ladder, and the diagnosis above it out of band
        plan = _plan(request.user, chosen)
        return render(request, "programmes/partials/plan_changed.html", plan)
    return redirect(_programme_url(chosen) + "#plan-heading")


@require_http_methods(["GET", "POST"])
@login_required
@visibility.member_required
def item_create(request, pk):
    chosen = get_object_or_404(visibility.programmes_visible_to(request.user), pk=pk)
    if not visibility.can_edit_programme(request.user):
        raise PermissionDenied
    try:
        level = Level(int(request.GET.get("level") or request.POST.get("level") or 1))
    except ValueError:
        raise Http404 from None
    form = _item_form(request, chosen, level)
    if request.method == "POST" and form.is_valid():
        item = form.save()
        _tell(request, _("“%(title)s” is added.") % {"title": item.title})
        return _ladder_response(request, chosen)
    return _item_form_page(request, form, chosen, level, None, f"#new-item-{level.value}")


@require_safe
@login_required
@visibility.member_required
def item_detail(request, pk):
    item = get_object_or_404(visibility.plan_items_visible_to(request.user), pk=pk)
    plan = _plan(request.user, item.programme)
    item = next(each for each in plan["items"] if each.pk == item.pk)
    if request.htmx:
        return render(request, "programmes/partials/plan_item.html", plan | {"item": item})
    return redirect(_programme_url(item.programme) + f"#item-{item.pk}")


@require_http_methods(["GET", "POST"])
@login_required
@visibility.member_required
def item_edit(request, pk):
    item = get_object_or_404(
        visibility.plan_items_visible_to(request.user).select_related("programme"), pk=pk
    )
    if not visibility.can_edit_programme(request.user):
        raise PermissionDenied
    form = _item_form(request, item.programme, Level(item.level), instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        _tell(request, _("“%(title)s” is saved.") % {"title": item.title})
        return _ladder_response(request, item.programme)
    return _item_form_page(
        request, form, item.programme, Level(item.level), item, f"#item-{item.pk}"
    )


def _item_form_page(request, form, programme, level, item, place):
    """The item form: in its place on the ladder by htmx (errors swapped back into ``place``),
    or as a page of its own."""
    context = {"form": form, "programme": programme, "level": level, "item": item}
    template = (
        "programmes/partials/plan_item_form.html"
        if request.htmx
        else "programmes/plan_item_form.html"
    )
    response = render(request, template, context, status=_form_status(request, form))
    if request.htmx and form.errors:
        response["HX-Retarget"] = place
        response["HX-Reswap"] = "innerHTML"
    return response


@require_POST
@login_required
@visibility.member_required
def item_delete(request, pk):
    item = get_object_or_404(
        visibility.plan_items_visible_to(request.user).select_related("programme"), pk=pk
    )
    if not visibility.can_edit_programme(request.user):
        raise PermissionDenied
    item.delete()
    _tell(request, _("“%(title)s” is deleted.") % {"title": item.title})
    return _ladder_response(request, item.programme)


# --- Targets ------------------------------------------------------------------------------------


@require_safe
@login_required
@visibility.member_required
def target_list(request):
    organisation = request.user.organisation
    targets = visibility.targets_visible_to(request.user).select_related("team", "programme")
    team = None
    if request.GET.get("team"):  # /targets/?team=slug: one team's targets, e.g. from its page
        team = get_object_or_404(
            visibility.teams_visible_to(request.user), slug=request.GET["team"]
        )
        targets = targets.filter(team=team)
    rows = target_engine.progress(organisation, targets=targets)
    editable = set(visibility.targets_editable_by(request.user).values_list("pk", flat=True))
    own = set(visibility.own_teams(request.user).values_list("pk", flat=True))
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
            "can_set_targets": visibility.can_set_targets(request.user),
            "can_propose_idea": visibility.can_propose_ideas(request.user),
        },
    )


def _target_form(request, instance=None):
    return TargetForm(
        request.POST or None,
        instance=instance,
        organisation=request.user.organisation,
        teams=visibility.target_teams_for(request.user),
        organisation_allowed=visibility.can_set_organisation_targets(request.user),
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
        teams = visibility.target_teams_for(request.user)
        team = teams.filter(pk=team_id).first() if str(team_id).isdigit() else None
        if team is None:
            return None
    elif not visibility.can_set_organisation_targets(request.user):
        return None
    baseline = None
    if parsed:
        row = Rollup.objects.filter(
            organisation=organisation, team=team, kind=parsed[0], period_start=parsed[1]
        ).first()
        baseline = target_engine.figure(metric, row, organisation.min_responses)
    change = _asked_change(data, baseline)
    result = target_engine.detectability(
        organisation, team=team, metric=metric, period=period, change=change
    )
    return {
        "check": result,
        "baseline": baseline,
        "baseline_label": periods.label(parsed[1], parsed[0]) if parsed else "",
        "team": team,
        "is_rate": metric != Metric.NPS,
        "unit": {
            Metric.NPS: _("scores"),
            Metric.ERROR_RATE: _("interactions"),
            Metric.RETURNING_RATE: _("customers"),
        }[metric],
        "period_label": _("quarter") if period == periods.QUARTER else _("month"),
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
@visibility.allowed_if(visibility.can_set_targets)
def target_create(request):
    form = _target_form(request)
    if request.method == "POST" and form.is_valid():
        target = form.save(commit=False)
        target.created_by = request.user
        target.programme = visibility.programmes_visible_to(request.user).current().first()
        target.save()
        messages.success(request, _("The target is set."))
        return redirect(reverse("programmes:targets") + f"#target-{target.pk}")
    return _target_page(request, form)


@require_http_methods(["GET", "POST"])
@login_required
@visibility.member_required
def target_edit(request, pk):
    target = get_object_or_404(visibility.targets_visible_to(request.user), pk=pk)
    if not visibility.targets_editable_by(request.user).filter(pk=target.pk).exists():
        raise PermissionDenied
    form = _target_form(request, instance=target)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The target is saved."))
        return redirect(reverse("programmes:targets") + f"#target-{target.pk}")
    return _target_page(request, form, target)


@require_POST
@login_required
@visibility.member_required
def target_delete(request, pk):
    target = get_object_or_404(visibility.targets_visible_to(request.user), pk=pk)
    if not visibility.targets_editable_by(request.user).filter(pk=target.pk).exists():
        raise PermissionDenied
    target.delete()
    messages.success(request, _("The target is deleted."))
    return redirect("programmes:targets")


@require_safe
@login_required
@visibility.allowed_if(visibility.can_set_targets)
def target_check(request):
    """The detectability hint for the target form as it is being filled in (htmx)."""
    form = TargetForm(
        request.GET,
        organisation=request.user.organisation,
        teams=visibility.target_teams_for(request.user),
        organisation_allowed=visibility.can_set_organisation_targets(request.user),
    )
    return render(
        request,
        "programmes/partials/target_hint.html",
        {"hint": _detectability_for(request, form)},
    )


# --- Updates ------------------------------------------------------------------------------------


@require_safe
@login_required
@visibility.member_required
def update_list(request):
    updates = (
        visibility.updates_visible_to(request.user)
        .select_related("author")
        .prefetch_related("teams")
    )
    return render(
        request,
        "programmes/updates.html",
        {"updates": updates[:50], "can_publish": visibility.can_publish_updates(request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
@visibility.allowed_if(visibility.can_publish_updates)
def update_create(request):
    organisation = request.user.organisation
    form = UpdateForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        update = form.save(commit=False)
        update.organisation = organisation
        update.author = request.user
        update.programme = visibility.programmes_visible_to(request.user).current().first()
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
@visibility.allowed_if(visibility.can_publish_updates)
def update_delete(request, pk):
    update = get_object_or_404(visibility.updates_editable_by(request.user), pk=pk)
    update.delete()
    messages.success(request, _("The update “%(title)s” is deleted.") % {"title": update.title})
    return redirect("programmes:updates")
