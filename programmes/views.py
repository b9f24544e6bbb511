"""Pages about the organisation: each role's home page, team pages, the board, people, tokens."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language as django_set_language
from django_ratelimit.decorators import ratelimit

from feedback import dashboards
from feedback.models import Theme
from ideas.notifications import notices_for
from programmes import login_throttling, visibility
from programmes import targets as target_engine
from programmes.forms import (
    AccountForm,
    IntegrationTokenForm,
    OrganisationSettingsForm,
    PasswordResetForm,
)
from programmes.models import IntegrationToken, Membership, User


@require_safe
@login_required
def home(request):
    role = visibility.home_role(request.user)
    if role == visibility.HOME_NONE:
        return render(request, "programmes/home_no_organisation.html")
    context = {
        "organisation": request.user.organisation,
        "updates": visibility.updates_visible_to(request.user)
        .select_related("author")
        .prefetch_related("teams")[:3],
        "can_publish_updates": visibility.can_publish_updates(request.user),
        "current_programme": visibility.programmes_visible_to(request.user).current().first(),
        "idea_notices": notices_for(request.user),
    }
    if role in (visibility.HOME_MANAGEMENT, visibility.HOME_HR):
        context["departments"] = _departments_with_teams(request.user)
        context["team_count"] = sum(len(teams) for _department, teams in context["departments"])
        context["people_count"] = visibility.people_visible_to(request.user).count()
        context["active_tokens"] = None
        context["teams_without_lead"] = visibility.teams_visible_to(request.user).without_lead()
        if role == visibility.HOME_MANAGEMENT:
            context["active_tokens"] = visibility.tokens_visible_to(request.user).active().count()
    else:
        context["teams"] = _teams_with_members(visibility.own_teams(request.user))
        context["led_team_ids"] = set(
            visibility.teams_managed_by(request.user).values_list("pk", flat=True)
        )
    return render(request, f"programmes/home_{role}.html", context)


def _teams_with_members(teams):
    members = Membership.objects.select_related("user").order_by("-is_lead", "user__first_name")
    return teams.prefetch_related(Prefetch("memberships", queryset=members))


def _departments_with_teams(user):
    teams = visibility.teams_visible_to(user).with_member_count()
    groups: dict = {}
    for team in teams:
        groups.setdefault(team.department, []).append(team)
    # Departments by name, teams without a department last.
    return sorted(groups.items(), key=lambda item: (item[0] is None, str(item[0] or "")))


@require_safe
@login_required
@visibility.member_required
def team_detail(request, slug):
    """What an employee opens every morning: the team's figures, trends and customers' words.

    The period switch, the comment filters and "older comments" load by htmx into their own
    part of the page; without JavaScript the same links load the whole page."""
    team = visibility.get_team_page_or_404(request.user, slug)
    organisation = request.user.organisation  # the team's, as it is visible to them
    kind = dashboards.chosen_kind(request.GET.get("period"))
    can_see_comments = visibility.can_see_team_comments(request.user, team)
    can_manage = visibility.can_manage_team(request.user, team)
    context = {
        "team": team,
        "kind": kind,
        "periods": dashboards.period_switch(kind),
        "can_see_comments": can_see_comments,
        # Comments and target cards offer "an idea from this" when the person may propose one.
        "can_propose_idea": visibility.can_propose_idea_for(request.user, team),
    }
    target = request.htmx.target if request.htmx else None
    if target != "feed" and not (target or "").startswith("more-"):
        team_targets = target_engine.progress(organisation, team)
        for row in team_targets:
            row.can_edit = can_manage  # a team's targets are set by whoever manages the team
        context["targets"] = team_targets
        context["figures"] = dashboards.figures(
            organisation, team, kind, targets=[row.as_json() for row in team_targets]
        )
        if target == "figures":
            # The feed's filter form keeps the period in a hidden field: update it too.
            context["oob_period"] = can_see_comments
            return render(request, "programmes/partials/team_figures.html", context)
    if can_see_comments:
        themes = list(Theme.objects.filter(organisation=organisation))
        feed = dashboards.FeedFilter.from_query(request.GET, themes)
        comments, next_cursor = dashboards.comment_feed(request.user, team, feed)
        context |= {
            "themes": themes,
            "feed": feed,
            "comments": comments,
            "next_query": urlencode(feed.query(period=kind, before=next_cursor))
            if next_cursor
            else "",
            "can_answer": can_manage,
        }
        if target == "feed":
            return render(request, "programmes/partials/comment_list.html", context)
        if (target or "").startswith("more-"):
            return render(request, "programmes/partials/comment_items.html", context)
    context |= {
        "team_ideas": visibility.ideas_visible_to(request.user)
        .for_team(team)
        .open()
        .with_vote_count()[:5],
        "memberships": team.memberships.select_related("user").order_by(
            "-is_lead", "user__first_name", "user__last_name"
        ),
        "can_manage": can_manage,
    }
    return render(request, "programmes/team_detail.html", context)


@require_safe
@login_required
@visibility.member_required
def board(request):
    """Every team's figures side by side, open to everybody in the organisation: no comments."""
    organisation = request.user.organisation
    kind = dashboards.chosen_kind(request.GET.get("period"))
    sort = request.GET.get("sort", "name")
    sort = sort if sort in dashboards.BOARD_SORTS else "name"
    descending = request.GET.get("order") == "desc"
    teams = visibility.teams_visible_to(request.user).order_by("name")
    own = set(visibility.team_pages_visible_to(request.user).values_list("pk", flat=True))
    columns = [
        ("name", _("Team")),
        ("nps", _("NPS")),
        ("change", _("Change")),
        ("error_rate", _("Error rate")),
        ("returning", _("Returning")),
        ("responses", _("Scores")),
    ]
    targets_of = {}
    for row in target_engine.progress(organisation, all_teams=True):
        targets_of.setdefault(row.target.team_id, []).append(row)
    return render(
        request,
        "programmes/board.html",
        {
            "board": dashboards.board(organisation, teams, kind, sort, descending),
            "targets_of": targets_of,
            "linked_team_ids": own,
            "organisation": organisation,
            "kind": kind,
            "periods": dashboards.period_switch(kind),
            "sort": sort,
            "descending": descending,
            "columns": [
                {
                    "key": key,
                    "label": label,
                    "current": key == sort,
                    # A second click on the sorted column turns the order around.
                    "order": ("asc" if descending else "desc")
                    if key == sort
                    else ("asc" if key == "name" else "desc"),
                }
                for key, label in columns
            ],
        },
    )


@require_safe
@login_required
@visibility.allowed_if(visibility.can_manage_people)
def people(request):
    people = (
        visibility.people_visible_to(request.user)
        .with_lead_flag()
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("team"))
        )
        .order_by("first_name", "last_name", "username")
    )
    return render(request, "programmes/people.html", {"people": people})


@require_safe
@login_required
@visibility.allowed_if(visibility.can_manage_tokens)
def tokens(request):
    return render(
        request,
        "programmes/tokens.html",
        {
            "tokens": visibility.tokens_visible_to(request.user).select_related("created_by"),
            "form": IntegrationTokenForm(),
        },
    )


@require_POST
@login_required
@visibility.allowed_if(visibility.can_manage_tokens)
def token_create(request):
    form = IntegrationTokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "programmes/tokens.html",
            {"tokens": visibility.tokens_visible_to(request.user), "form": form},
            status=400,
        )
    token, raw = IntegrationToken.issue(
        organisation=request.user.organisation,
        name=form.cleaned_data["name"],
        created_by=request.user,
    )
    # Shown once, on this response only; never stored or put in a message that could linger.
    response = render(request, "programmes/token_created.html", {"token": token, "raw_token": raw})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
@visibility.allowed_if(visibility.can_manage_tokens)
def token_revoke(request, pk):
    token = get_object_or_404(visibility.tokens_visible_to(request.user), pk=pk)
    token.revoke()
    messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("programmes:tokens")


@require_http_methods(["GET", "POST"])
@login_required
@visibility.allowed_if(visibility.can_manage_programme)
def organisation_settings(request):
    organisation = request.user.organisation
    form = OrganisationSettingsForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The settings are saved."))
        return redirect("programmes:organisation_settings")
    return render(
        request,
        "programmes/organisation_settings.html",
        {"form": form},
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
        return redirect("programmes:account")
    return render(request, "programmes/account.html", {"form": form})


@require_POST
def set_language(request):
    """Django's language switch, also remembered on the person for e-mails they receive."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(User._meta.get_field("language").choices):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
