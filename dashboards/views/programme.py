"""The programme's own page: its why, the six needs and the seven-level plan as a ladder,
edited in place with htmx, with the coherence diagnosis (which counts ideas per level). The
plain forms of the programme, its targets and updates live in ``programmes``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dashboards.management_record import management_record
from ideas.models import Idea
from levels import coherence
from levels.forms import PlanItemForm
from levels.models import LEVEL_QUESTIONS, Level, PlanItem
from organisations import clock, roles
from programmes.models import NEED_QUESTIONS, Need, Programme, Target

# --- The programme ----------------------------------------------------------------------------


@require_safe
@login_required
@roles.member_required
def programme(request):
    current = Programme.objects.visible_to(request.user).current().first()
    if current is None:
        return render(
            request,
            "dashboards/programme_none.html",
            {
                "can_edit": roles.can_edit_programme(request.user),
                "programmes": Programme.objects.visible_to(request.user),
            },
        )
    return _programme_page(request, current)


@require_safe
@login_required
@roles.member_required
def programme_detail(request, pk):
    chosen = get_object_or_404(Programme.objects.visible_to(request.user), pk=pk)
    if chosen.is_current:
        return redirect("dashboards:programme")
    return _programme_page(request, chosen)


def _programme_page(request, chosen):
    plan = _plan(request.user, chosen)
    organisation = request.user.organisation
    return render(
        request,
        "dashboards/programme.html",
        plan
        | {
            "needs": _needs(chosen),
            "can_edit_programme": roles.can_edit_programme(request.user),
            "other_programmes": Programme.objects.visible_to(request.user).exclude(pk=chosen.pk),
            "record": management_record(
                organisation, timezone.now(), clock.local_today(organisation)
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
    idea_counts = Idea.objects.visible_to(user).for_programme(chosen).count_per_level()
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
        "can_edit": _can_edit_plan(user, chosen),
    }


def _can_edit_plan(user, chosen) -> bool:
    """Management edits a programme's plan until it is finished; then it is kept as it was."""
    return roles.can_edit_programme(user) and not chosen.is_finished


def _programme_url(chosen) -> str:
    if chosen.is_current:
        return reverse("dashboards:programme")
    return reverse("dashboards:programme_detail", args=[chosen.pk])


@require_safe
@login_required
@roles.member_required
def diagnosis(request, pk):
    chosen = get_object_or_404(Programme.objects.visible_to(request.user), pk=pk)
    plan = _plan(request.user, chosen)
    return render(
        request,
        "dashboards/diagnosis.html",
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
        owners=roles.plan_item_owners_for(request.user),
        targets=Target.objects.visible_to(request.user).select_related("team", "organisation"),
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
        return render(request, "dashboards/partials/plan_changed.html", plan)
    return redirect(_programme_url(chosen) + "#plan-heading")


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def item_create(request, pk):
    chosen = get_object_or_404(Programme.objects.visible_to(request.user), pk=pk)
    if not _can_edit_plan(request.user, chosen):
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
@roles.member_required
def item_detail(request, pk):
    item = get_object_or_404(PlanItem.objects.visible_to(request.user), pk=pk)
    plan = _plan(request.user, item.programme)
    item = next(each for each in plan["items"] if each.pk == item.pk)
    if request.htmx:
        return render(request, "dashboards/partials/plan_item.html", plan | {"item": item})
    return redirect(_programme_url(item.programme) + f"#item-{item.pk}")


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def item_edit(request, pk):
    item = get_object_or_404(
        PlanItem.objects.visible_to(request.user).select_related("programme"), pk=pk
    )
    if not _can_edit_plan(request.user, item.programme):
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
    or as a page of its own, where there is no ladder to aim htmx at: a plain form that posts
    and follows the redirect, with or without JavaScript."""
    context = {
        "form": form,
        "programme": programme,
        "level": level,
        "item": item,
        "on_ladder": bool(request.htmx),
    }
    template = (
        "dashboards/partials/plan_item_form.html"
        if request.htmx
        else "dashboards/plan_item_form.html"
    )
    response = render(request, template, context, status=_form_status(request, form))
    if request.htmx and form.errors:
        response["HX-Retarget"] = place
        response["HX-Reswap"] = "innerHTML"
    return response


@require_POST
@login_required
@roles.member_required
def item_delete(request, pk):
    item = get_object_or_404(
        PlanItem.objects.visible_to(request.user).select_related("programme"), pk=pk
    )
    if not _can_edit_plan(request.user, item.programme):
        raise PermissionDenied
    item.delete()
    _tell(request, _("“%(title)s” is deleted.") % {"title": item.title})
    return _ladder_response(request, item.programme)


# --- Targets ------------------------------------------------------------------------------------


# --- Updates ------------------------------------------------------------------------------------
