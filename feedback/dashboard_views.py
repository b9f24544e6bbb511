"""Dashboard actions: marking comments, answering customers, downloads, the management view,
and the weekly digest's opt-out."""

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from feedback import dashboards, exports, kpis, tasks
from feedback.forms import ReplyForm
from feedback.models import CommentMark, MarkKind, Reply, Theme
from programmes import visibility
from programmes.models import User

DIGEST_SALT = "koningklant.digest-opt-out"


def _team_page(response) -> str:
    return reverse("programmes:team_detail", args=[response.team.slug]) + f"#comment-{response.pk}"


@require_POST
@login_required
@visibility.member_required
def comment_mark(request, pk):
    """Mark (or unmark) a comment as read or acted upon; by htmx the comment redraws itself."""
    response = visibility.get_comment_or_404(request.user, pk)
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
        visibility.comments_visible_to(request.user)
        .select_related("team")
        .prefetch_related(
            "themes",
            Prefetch("marks", queryset=CommentMark.objects.select_related("user")),
            Prefetch("replies", queryset=Reply.objects.select_related("author")),
        )
        .get(pk=response.pk)
    )
    dashboards.annotate(response, request.user)
    return render(
        request,
        "programmes/partials/comment.html",
        {
            "response": response,
            "can_answer": visibility.can_manage_team(request.user, response.team),
            "can_propose_idea": visibility.can_propose_idea_for(request.user, response.team),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@visibility.member_required
def comment_reply(request, pk):
    """A team lead answers a customer who asked to be contacted; the answer is logged with
    the comment and mailed by a worker in the customer's language."""
    response = visibility.get_comment_or_404(request.user, pk)
    if not visibility.can_answer_customer(request.user, response):
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
                transaction.on_commit(lambda: tasks.send(tasks.send_reply, reply.pk))
        messages.success(request, _("Your answer is on its way to the customer."))
        return redirect(_team_page(response))
    return render(
        request,
        "feedback/comment_reply.html",
        {"response": response, "form": form, "replies": response.replies.select_related("author")},
    )


@require_safe
@login_required
@visibility.member_required
def team_export(request, slug, what, fmt):
    """The team's KPI series (anyone who may open the team page) or its comments (those who
    may read them), as CSV or XLSX."""
    team = visibility.get_team_page_or_404(request.user, slug)
    organisation = team.organisation
    if what == "kpis":
        kind = request.GET.get("period")
        kind = kind if kind in kpis.LAST else dashboards.chosen_kind(kind)
        series = kpis.series(organisation, team=team, kind=kind, last=kpis.LAST[kind] * 2)
        header, rows = exports.kpi_columns(), exports.kpi_rows(team.name, series)
        filename, title = f"{team.slug}-kpis-{kind}", _("Figures")
    elif what == "comments":
        if not visibility.can_see_team_comments(request.user, team):
            raise Http404
        themes = list(Theme.objects.filter(organisation=organisation))
        feed = dashboards.FeedFilter.from_query(request.GET, themes)
        comments = dashboards.filtered_comments(request.user, team, feed).prefetch_related(
            "themes", Prefetch("marks", queryset=CommentMark.objects.select_related("user"))
        )
        zone = zoneinfo.ZoneInfo(organisation.time_zone)
        header = exports.comment_columns()
        rows = exports.comment_rows(comments.select_related("team"), zone)
        filename, title = f"{team.slug}-comments", _("Comments")
    else:
        raise Http404
    if fmt == "csv":
        return exports.csv_response(filename, header, rows)
    if fmt == "xlsx":
        return exports.xlsx_response(filename, title, header, rows)
    raise Http404


@require_safe
@login_required
@visibility.allowed_if(visibility.can_compare_teams)
def compare(request):
    """Management compares departments, then a department's teams, then opens a team's page
    with its comments."""
    organisation = request.user.organisation
    kind = dashboards.chosen_kind(request.GET.get("period"))
    department_slug = request.GET.get("department", "")
    comparison = dashboards.compare(organisation, kind, department_slug)
    if comparison is None:
        raise Http404
    context = {
        "comparison": comparison,
        "kind": kind,
        "periods": dashboards.period_switch(kind),
        "department_slug": department_slug,
    }
    return render(request, "feedback/compare.html", context)


def digest_opt_out_token(user) -> str:
    return signing.dumps(user.pk, salt=DIGEST_SALT)


@require_http_methods(["GET", "HEAD", "POST"])
def digest_opt_out(request, token):
    """The link in every digest: one click (and a confirming POST) stops it, without logging in."""
    try:
        user_pk = signing.loads(token, salt=DIGEST_SALT)
    except signing.BadSignature:
        raise Http404 from None
    person = User.objects.filter(pk=user_pk, is_active=True).first()
    if person is None:
        raise Http404
    if request.method == "POST":
        person.weekly_digest = request.POST.get("subscribe") == "1"
        person.save(update_fields=["weekly_digest"])
    return render(request, "feedback/digest_opt_out.html", {"person": person, "token": token})


@require_safe
@login_required
@visibility.member_required
def board_export(request, fmt):
    """Every team's KPI series and the organisation's: figures only, like the board."""
    organisation = request.user.organisation
    kind = dashboards.chosen_kind(request.GET.get("period"))
    teams = list(visibility.teams_visible_to(request.user).order_by("name"))
    all_series = kpis.series_for(organisation, [*teams, None], kind=kind, last=kpis.LAST[kind])

    def rows():
        for team in teams:
            yield from exports.kpi_rows(team.name, all_series[team])
        yield from exports.kpi_rows(organisation.name, all_series[None])

    filename = f"{organisation.slug}-board-{kind}"
    if fmt == "csv":
        return exports.csv_response(filename, exports.kpi_columns(), rows())
    if fmt == "xlsx":
        return exports.xlsx_response(filename, _("Figures"), exports.kpi_columns(), rows())
    raise Http404
