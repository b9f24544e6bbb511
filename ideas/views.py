"""Pages of the team ideas: the organisation's and a team's list, proposing, an idea's own page
with its discussion and votes (htmx), moving it on, and its figures before and after."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from feedback.models import Response
from ideas import impact, rules, workflow
from ideas.forms import IdeaCommentForm, IdeaFilter, IdeaForm, MoveForm
from ideas.models import Idea, IdeaStatus, IdeaVote
from organisations import roles
from programmes.models import Target

LIST_LIMIT = 200


def _idea_or_404(user, pk):
    idea = Idea.objects.visible_to(user).select_related("team", "proposer").filter(pk=pk).first()
    if idea is None:
        raise Http404
    return idea


@require_safe
@login_required
@roles.member_required
def idea_list(request):
    """Every idea of the organisation, filterable by team, status, target and level."""
    user = request.user
    ideas = Idea.objects.visible_to(user)
    form = IdeaFilter(request.GET or None, user=user)
    shown = form.filtered(ideas) if form.is_bound else ideas
    team = form.cleaned_data.get("team") if form.is_bound and "team" not in form.errors else None
    counts = dict(ideas.values_list("status").annotate(n=Count("pk")).order_by())
    return render(
        request,
        "ideas/idea_list.html",
        {
            "form": form,
            "team": team,
            "ideas": shown.for_list()[:LIST_LIMIT],
            "status_counts": [
                (value, label, counts.get(value, 0)) for value, label in IdeaStatus.choices
            ],
            "total": sum(counts.values()),
            "can_propose": roles.can_propose_ideas(user),
            "my_votes": set(
                IdeaVote.objects.filter(voter=user, idea__in=shown).values_list("idea", flat=True)
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_propose_ideas)
def idea_create(request):
    user = request.user
    teams = roles.idea_teams_for(user)
    team, asked, target = None, [], None
    comment_pk = request.GET.get("comment", "")
    if comment_pk.isdigit():
        comment = Response.objects.comments_visible_to(user).filter(pk=comment_pk).first()
        if comment is not None and teams.filter(pk=comment.team_id).exists():
            team, asked = comment.team, [comment.pk]
    target_pk = request.GET.get("target", "")
    if target_pk.isdigit():
        target = Target.objects.visible_to(user).filter(pk=target_pk).first()
        if target is not None and target.team_id and team is None:
            team = teams.filter(pk=target.team_id).first()
    if team is None and request.GET.get("team"):
        team = teams.filter(slug=request.GET["team"]).first()
    if request.method == "GET" and team is None and teams.count() > 1:
        # First the team: which comments, targets and colleagues the idea is about follows.
        query = f"&target={target.pk}" if target is not None else ""
        context = {"teams": teams.order_by("name"), "query": query}
        return render(request, "ideas/idea_team_choice.html", context)
    initial = {"target": target.pk} if target is not None else {}
    if asked:
        initial["comments"] = asked
    form = IdeaForm(
        request.POST or None, user=user, team=team, asked_comments=asked, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            idea = form.save()
        messages.success(request, _("Your idea is proposed. Colleagues can now react and vote."))
        return redirect("ideas:detail", pk=idea.pk)
    return render(
        request,
        "ideas/idea_form.html",
        {"form": form, "team": team},
        status=400 if form.errors else 200,
    )


def _detail_context(request, idea):
    user = request.user
    idea.vote_count = idea.votes.count()
    moves = rules.idea_moves_for(user, idea)
    linked = list(rules.idea_comments_for(user, idea).order_by("-submitted_at"))
    return {
        "idea": idea,
        "linked_comments": linked,
        # Comments linked by someone who may read them, which this person may not.
        "hidden_comments": idea.comments.count() - len(linked),
        "discussion": idea.discussion.select_related("author"),
        "events": idea.events.select_related("actor"),
        "has_voted": idea.votes.filter(voter=user).exists(),
        "can_vote": rules.can_vote(user, idea),
        "voting_scope": user.organisation.idea_voting,
        "comment_form": IdeaCommentForm(),
        "moves": [(status, IdeaStatus(status).label) for status in moves],
        "move_form": MoveForm(allowed=moves) if moves else None,
        "can_decline": IdeaStatus.DECLINED in moves,
        "figures": impact.before_after(idea),
    }


@require_safe
@login_required
@roles.member_required
def idea_detail(request, pk):
    idea = _idea_or_404(request.user, pk)
    context = _detail_context(request, idea)
    return render(request, "ideas/idea_detail.html", context)


@require_POST
@login_required
@roles.member_required
def idea_vote(request, pk):
    """Give or withdraw one's vote (``on`` = 1 or 0); htmx swaps in the vote button."""
    idea = _idea_or_404(request.user, pk)
    if not rules.can_vote(request.user, idea):
        raise PermissionDenied
    if request.POST.get("on") == "0":
        workflow.withdraw_vote(idea, request.user)
    else:
        workflow.vote(idea, request.user)
    if request.htmx:
        idea.vote_count = idea.votes.count()
        response = render(
            request,
            "ideas/partials/idea_votes.html",
            {
                "idea": idea,
                "can_vote": True,
                "has_voted": idea.votes.filter(voter=request.user).exists(),
            },
        )
        return response
    return redirect("ideas:detail", pk=idea.pk)


@require_POST
@login_required
@roles.member_required
def idea_comment(request, pk):
    idea = _idea_or_404(request.user, pk)
    if not rules.can_discuss_idea(request.user, idea):
        raise PermissionDenied
    form = IdeaCommentForm(request.POST)
    if form.is_valid():
        reaction = form.save(commit=False)
        reaction.idea, reaction.author = idea, request.user
        reaction.save()
        return redirect(f"{idea_url(idea)}#discussion")
    context = _detail_context(request, idea) | {"comment_form": form}
    return render(request, "ideas/idea_detail.html", context, status=400)


@require_POST
@login_required
@roles.member_required
def idea_move(request, pk):
    idea = _idea_or_404(request.user, pk)
    moves = rules.idea_moves_for(request.user, idea)
    if not moves:
        raise PermissionDenied
    form = MoveForm(request.POST, allowed=moves)
    if form.is_valid():
        to_status = form.cleaned_data["to_status"]
        reason = form.cleaned_data["reason"].strip() if to_status == IdeaStatus.DECLINED else ""
        try:
            workflow.move(idea, to_status=to_status, actor=request.user, reason=reason)
        except workflow.NotAllowedMove:  # someone else moved it meanwhile
            messages.warning(request, _("The idea was moved meanwhile; have a look again."))
        else:
            messages.success(
                request,
                _("The idea is now: %(status)s. The proposer is told.")
                % {"status": IdeaStatus(to_status).label},
            )
        return redirect("ideas:detail", pk=idea.pk)
    context = _detail_context(request, idea) | {"move_form": form}
    return render(request, "ideas/idea_detail.html", context, status=400)


def idea_url(idea):
    return reverse("ideas:detail", args=[idea.pk])
