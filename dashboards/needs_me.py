"""What a person's home page says needs them, besides the follow-ups: their teams' figures this
month, comments on their teams they have not marked as read, ideas waiting for their decision,
their teams' targets at risk, the organisation's figures, and HR's surveys with their response.
Each is a fixed number of queries, whatever the number of teams, comments, ideas or surveys."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from alignment.models import AlignmentSurvey
from dashboards.models import CommentMark, MarkKind
from feedback.models import Response
from ideas.models import Idea
from kpis import read
from organisations import clock
from programmes import targets as target_engine
from programmes.models import Target

# "Unread": a comment of the last UNREAD_DAYS days on one of the person's teams that they have
# not marked as read. Older comments are history, not something waiting (the page says so).
UNREAD_DAYS = 30
IDEAS_SHOWN = 6
# HR sees surveys open today and those closed in the last RECENT_SURVEY_DAYS days.
RECENT_SURVEY_DAYS = 90


def teams_this_month(organisation, teams) -> list[dict]:
    """Each team's figures this month with the change against last month, in one query."""
    teams = list(teams)
    if not teams:
        return []
    all_series = read.series_for(organisation, teams, kind=clock.MONTH, last=2)
    return [{"team": team, "current": all_series[team][-1]} for team in teams]


def organisation_this_month(organisation) -> dict:
    return read.series(organisation, team=None, kind=clock.MONTH, last=2)[-1]


def unread_comments(user, teams, now=None) -> list[dict]:
    """[{team, unread}] for the person's teams with comments they have not read, in one query."""
    since = (now or timezone.now()) - dt.timedelta(days=UNREAD_DAYS)
    read_by_me = CommentMark.objects.filter(response=OuterRef("pk"), user=user, kind=MarkKind.READ)
    counts = dict(
        Response.objects.comments_visible_to(user)
        .filter(team__in=[team.pk for team in teams], submitted_at__gte=since)
        .exclude(Exists(read_by_me))
        .values_list("team")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [{"team": team, "unread": counts[team.pk]} for team in teams if counts.get(team.pk)]


def ideas_to_decide(user) -> tuple[list, int]:
    """The oldest ideas waiting for the person's decision (first come, first decided), and how
    many wait in all; two queries."""
    waiting = Idea.objects.awaiting_decision_by(user)
    shown = list(
        waiting.select_related("team", "proposer")
        .with_vote_count()
        .order_by("created_at", "pk")[:IDEAS_SHOWN]
    )
    total = len(shown) if len(shown) < IDEAS_SHOWN else waiting.count()
    return shown, total


def targets_at_risk(user, today=None) -> list:
    """Targets the person sets (a lead: their teams') that are behind where they should be by
    now, as ``programmes.targets`` judges them (one status for every page); two queries."""
    targets = Target.objects.editable_by(user).select_related("team", "programme")
    rows = target_engine.progress(user.organisation, targets=targets, today=today)
    at_risk = [row for row in rows if row.status == target_engine.AT_RISK]
    return sorted(at_risk, key=lambda row: row.target.team.name if row.target.team_id else "")


def surveys_with_response(user, now=None) -> list:
    """Alignment surveys open now or closed in the last RECENT_SURVEY_DAYS days, each with
    how many of those asked have answered (the whole survey only), in one query."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=RECENT_SURVEY_DAYS)
    local_day = clock.local_day(user.organisation.time_zone)
    surveys = (
        AlignmentSurvey.objects.visible_to(user)
        .open_or_closed_since(now, since)
        .with_participation()
        .order_by("closes_on", "pk")
    )
    result = []
    for survey in surveys:
        survey.open_today = survey.is_open(now)
        # The last day it took answers, as its page names it (closes_at is the next midnight).
        survey.closed_on = local_day(survey.closed_at) if survey.closed_at else survey.closes_on
        survey.response_percent = (
            round(100 * survey.answered / survey.invited) if survey.invited else None
        )
        result.append(survey)
    # Open ones first (soonest closing first), then the closed ones, last closed first.
    open_ones = [s for s in result if s.open_today]
    closed = sorted(
        (s for s in result if not s.open_today), key=lambda s: s.closed_on, reverse=True
    )
    return open_ones + closed
