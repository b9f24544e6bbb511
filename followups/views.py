"""Pages of the follow-ups: the list of a person's teams' follow-ups (overdue first) with the
answers only to discuss, one follow-up's page, and its steps (contacted, closed, handed on)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from feedback.models import Response
from followups import opening, ownership, reachability, workflow
from followups.forms import CloseForm, OwnerForm
from followups.models import FollowUp
from organisations import clock, roles

LIST_LIMIT = 200


def _followup_or_404(user, pk):
    followup = (
        FollowUp.objects.visible_to(user)
        .select_related("team", "owner", "response", "organisation", "closed_by")
        .filter(pk=pk)
        .first()
    )
    if followup is None:
        raise Http404
    return followup


@require_safe
@login_required
@roles.member_required
def followup_list(request):
    user = request.user
    organisation = roles.organisation_of(user)
    today = clock.local_today(organisation)
    visible = FollowUp.objects.visible_to(user)
    teams = roles.teams_with_comments_visible_to(user)
    team = teams.filter(slug=request.GET.get("team", "")).first()
    if team is not None:
        visible = visible.filter(team=team)
    unfinished = list(visible.unfinished().for_list()[:LIST_LIMIT])
    discuss = opening.to_discuss(organisation).filter(team__in=[team] if team else teams)
    return render(
        request,
        "followups/followup_list.html",
        {
            "team": team,
            "teams": teams,
            "today": today,
            "overdue": [f for f in unfinished if f.due_on < today],
            "waiting": [f for f in unfinished if f.due_on >= today],
            "finished": visible.finished().for_list().order_by("-closed_at")[:20],
            "to_discuss": discuss.select_related("team").order_by("-submitted_at")[:50],
        },
    )


@require_safe
@login_required
@roles.member_required
def followup_detail(request, pk):
    user = request.user
    followup = _followup_or_404(user, pk)
    return render(request, "followups/followup_detail.html", _detail_context(user, followup))


def _detail_context(user, followup, **forms):
    response = followup.response
    may_see_address = followup.owner_id == user.pk or (
        Response.objects.contact_emails_visible_to(user).filter(pk=response.pk).exists()
    )
    can_reassign = ownership.can_reassign(user, followup) and not followup.is_finished
    return {
        "followup": followup,
        "response": response,
        "reached_by": reachability.LABELS.get(followup.reached_by, followup.reached_by),
        "contact_email": response.contact_email if may_see_address else "",
        "is_overdue": followup.is_overdue(),
        "can_work_on": workflow.can_work_on(user, followup) and not followup.is_finished,
        "can_reassign": can_reassign,
        "can_answer": bool(response.contact_email) and roles.can_manage_team(user, followup.team),
        "can_propose_idea": roles.can_propose_idea_for(user, followup.team),
        "close_form": forms.get("close_form") or CloseForm(),
        "owner_form": forms.get("owner_form")
        or (
            OwnerForm(
                colleagues=ownership.colleagues(followup), initial={"owner": followup.owner_id}
            )
            if can_reassign
            else None
        ),
    }


def _refused(request, user, followup, reason, status=400, **forms):
    messages.error(request, reason)
    context = _detail_context(user, followup, **forms)
    return render(request, "followups/followup_detail.html", context, status=status)


@require_POST
@login_required
@roles.member_required
def followup_contacted(request, pk):
    followup = _followup_or_404(request.user, pk)
    reason = workflow.mark_contacted(followup, by=request.user)
    if reason:
        return _refused(request, request.user, followup, reason)
    messages.success(request, _("Marked as contacted."))
    return redirect("followups:detail", pk=pk)


@require_POST
@login_required
@roles.member_required
def followup_close(request, pk):
    followup = _followup_or_404(request.user, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        reason = _("The follow-up is still open: see below what is missing.")
        return _refused(request, request.user, followup, reason, close_form=form)
    reason = workflow.close(
        followup,
        by=request.user,
        outcome=form.cleaned_data["outcome"],
        learned=form.cleaned_data["learned"],
    )
    if reason:
        return _refused(request, request.user, followup, reason, close_form=form)
    messages.success(request, _("Closed. Thank you for closing the loop."))
    return redirect("followups:detail", pk=pk)


@require_POST
@login_required
@roles.member_required
def followup_owner(request, pk):
    user = request.user
    followup = _followup_or_404(user, pk)
    if not ownership.can_reassign(user, followup):
        reason = _("Only the team's lead or management can hand a follow-up to someone else.")
        return _refused(request, user, followup, reason, status=403)
    form = OwnerForm(request.POST, colleagues=ownership.colleagues(followup))
    if not form.is_valid():
        reason = " ".join(form.errors.get("owner", [])) or _("Choose a colleague.")
        return _refused(request, user, followup, reason, owner_form=form)
    reason = ownership.reassign(followup, to=form.cleaned_data["owner"], by=user)
    if reason:
        return _refused(request, user, followup, reason, owner_form=form)
    messages.success(request, _("Handed to %(name)s.") % {"name": followup.owner})
    return redirect("followups:detail", pk=pk)
