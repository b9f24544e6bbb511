"""The team page: what an employee opens every morning."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from dashboards import feed, figure_cache, figures
from feedback.models import Theme
from ideas.models import Idea
from organisations import roles


@require_safe
@login_required
@roles.member_required
def team_detail(request, slug):
    """What an employee opens every morning: the team's figures, trends and customers' words.

    The period switch, the comment filters and "older comments" load by htmx into their own
    part of the page; without JavaScript the same links load the whole page."""
    team = roles.get_team_page_or_404(request.user, slug)
    organisation = request.user.organisation  # the team's, as it is visible to them
    kind = figures.chosen_kind(request.GET.get("period"))
    can_see_comments = roles.can_see_team_comments(request.user, team)
    can_manage = roles.can_manage_team(request.user, team)
    context = {
        "team": team,
        "kind": kind,
        "can_see_comments": can_see_comments,
        # Comments and target cards offer "an idea from this" when the person may propose one.
        "can_propose_idea": roles.can_propose_idea_for(request.user, team),
    }
    target = request.htmx.target if request.htmx else None
    # Every theme's name: the feed's filter and the figures' table of themes show them.
    themes = list(Theme.objects.filter(organisation=organisation))
    if target != "feed" and not (target or "").startswith("more-"):
        context["team_parts"] = figure_cache.team_parts(
            organisation,
            team,
            kind,
            themes=themes,
            can_manage=can_manage,
            can_propose_idea=context["can_propose_idea"],
        )
        if target == "figures":
            # The feed's filter form keeps the period in a hidden field: update it too.
            context["oob_period"] = can_see_comments
            return render(request, "dashboards/partials/team_figures_swap.html", context)
    if can_see_comments:
        chosen = feed.FeedFilter.from_query(request.GET, themes)
        comments, next_cursor = feed.comment_feed(request.user, team, chosen)
        context |= {
            "themes": themes,
            "feed": chosen,
            "comments": comments,
            "next_query": urlencode(chosen.query(period=kind, before=next_cursor))
            if next_cursor
            else "",
            "can_answer": can_manage,
        }
        if target == "feed":
            return render(request, "dashboards/partials/comment_list.html", context)
        if (target or "").startswith("more-"):
            return render(request, "dashboards/partials/comment_items.html", context)
    context |= {
        "team_ideas": Idea.objects.visible_to(request.user)
        .for_team(team)
        .open()
        .with_vote_count()[:5],
        "memberships": team.memberships.select_related("user").order_by(
            "-is_lead", "user__first_name", "user__last_name"
        ),
        "can_manage": can_manage,
    }
    return render(request, "dashboards/team_detail.html", context)
