"""Acting on a customer's comment from the team page: marking it read or acted upon, a team
lead answering a customer who asked to be contacted, and passing praise on."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dashboards import feed, praise, replies, tasks
from dashboards.forms import PraiseForm, ReplyForm
from dashboards.models import CommentMark, MarkKind, Reply
from feedback.models import Response
from organisations import roles
from organisations.enqueue import send


def _team_page(response) -> str:
    return reverse("dashboards:team_detail", args=[response.team.slug]) + f"#comment-{response.pk}"


@require_POST
@login_required
@roles.member_required
def comment_mark(request, pk):
    """Mark (or unmark) a comment as read or acted upon; by htmx the comment redraws itself."""
    response = feed.get_comment_or_404(request.user, pk)
    kind = request.POST.get("kind")
    if kind not in MarkKind.values:
        raise Http404
    if request.POST.get("on") == "0":
        CommentMark.objects.filter(response=response, user=request.user, kind=kind).delete()
    else:
        CommentMark.objects.get_or_create(response=response, user=request.user, kind=kind)
    if not request.htmx:
        return redirect(_team_page(response))
    response = (
        Response.objects.comments_visible_to(request.user)
        .select_related("team")
        .get(pk=response.pk)
    )
    feed.with_details([response])
    feed.annotate(response, request.user)
    return render(
        request,
        "dashboards/partials/comment.html",
        {
            "response": response,
            "comment_labels": feed.comment_labels(),
            "can_answer": roles.can_manage_team(request.user, response.team),
            "can_propose_idea": roles.can_propose_idea_for(request.user, response.team),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.member_required
def comment_reply(request, pk):
    """A team lead answers a customer who asked to be contacted; the answer is logged with
    the comment and mailed by a worker in the customer's language."""
    response = feed.get_comment_or_404(request.user, pk)
    if not replies.can_answer(request.user, response):
        raise Http404  # no contact address to answer, or not theirs to see
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            reply, created = Reply.objects.get_or_create(
                submission=form.cleaned_data["submission"],
                defaults={
                    "response": response,
                    "author": request.user,
                    "body": form.cleaned_data["body"],
                },
            )
            if created:
                transaction.on_commit(lambda: send(tasks.send_reply, reply.pk))
        messages.success(request, _("Your answer is on its way to the customer."))
        return redirect(_team_page(response))
    return render(
        request,
        "dashboards/comment_reply.html",
        {"response": response, "form": form, "replies": response.replies.select_related("author")},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.member_required
def comment_praise(request, pk):
    """Pass a promoter's comment on to the team or to one colleague."""
    response = feed.get_comment_or_404(request.user, pk)
    if not praise.can_pass_on(request.user, response):
        raise Http404  # not a promoter's comment
    people = praise.colleagues(response)
    form = PraiseForm(request.POST or None, colleagues=people)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = form.cleaned_data["to"]
            to_person = None if chosen == PraiseForm.TEAM else people.get(pk=chosen)
            passed, reason = praise.pass_on(response, by=request.user, to_person=to_person)
            if passed is not None:
                transaction.on_commit(lambda: send(tasks.send_praise, passed.pk))
                messages.success(request, _("Passed on. Thank you for sharing it."))
                return redirect(_team_page(response))
            form.add_error("to", reason)
        status = 400
    return render(
        request,
        "dashboards/comment_praise.html",
        {"response": response, "form": form, "passed": response.praise.select_related("to_person")},
        status=status,
    )
