"""The weekly digest: each team member gets their team's past week in their own language.

Figures come from the rollups; the three most recent comments of the week from the team's
comments (a member may read them). Sending is idempotent: one ``DigestSent`` per person and
week, written in the same transaction as the decision to send.
"""

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from dashboards.models import DigestSent
from feedback.models import Response
from kpis import read
from organisations import clock, roles
from organisations.models import Organisation, Team, User

logger = logging.getLogger(__name__)
SEND_FROM = dt.time(7, 0)  # Monday morning, local time
DIGEST_SALT = "koningklant.digest-opt-out"
# The opt-out link in a digest works this long; every digest brings a fresh one.
DIGEST_LINK_MAX_AGE = dt.timedelta(days=60)


def digest_opt_out_token(user) -> str:
    return signing.dumps(user.pk, salt=DIGEST_SALT)


def week_to_send(organisation, now=None) -> dt.date | None:
    """The start of last week, from Monday 07:00 until Tuesday's end where the organisation is
    (a beat that was down on Monday still sends; someone joining on Saturday gets the next)."""
    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(organisation.time_zone))
    if local.weekday() > 1 or (local.weekday() == 0 and local.time() < SEND_FROM):
        return None
    this_week = clock.period_start(local.date(), clock.WEEK)
    return this_week - dt.timedelta(days=7)


def recipients(organisation, week_start):
    """Active people with an address who want the digest, are in a team, and have not had
    this week's yet."""
    already = DigestSent.objects.filter(week_start=week_start).values("user_id")
    return (
        User.objects.filter(
            organisation=organisation,
            is_active=True,
            weekly_digest=True,
            memberships__team__organisation=organisation,
        )
        .exclude(email="")
        .exclude(pk__in=already)
        .distinct()
    )


DIGEST_COMMENTS = 3
DIGEST_DETRACTORS = 2  # of those, at most this many from detractors, so praise still shows
DETRACTOR_MAX = 6


def team_week(organisation, team, week_start) -> dict:
    """The team's figures of the week and the week before, and the week's most telling
    comments: its latest detractors' first (what went wrong says more than the newest praise),
    then the latest others."""
    before, week = read.series(organisation, team=team, kind=clock.WEEK, last=2, until=week_start)
    start, end = clock.bounds(week_start, clock.WEEK, zoneinfo.ZoneInfo(organisation.time_zone))
    comments = (
        Response.objects.filter(team=team, submitted_at__gte=start, submitted_at__lt=end)
        .exclude(comment="")
        .order_by("-submitted_at")
    )
    detractors = list(comments.filter(score__lte=DETRACTOR_MAX)[:DIGEST_DETRACTORS])
    others = comments.exclude(pk__in=[response.pk for response in detractors])
    chosen = detractors + list(others[: DIGEST_COMMENTS - len(detractors)])
    return {"team": team, "week": week, "before": before, "comments": chosen}


def compose(person, organisation, week_start, weeks=None) -> EmailMultiAlternatives:
    weeks = {} if weeks is None else weeks  # (team id) -> team_week, shared by recipients
    teams = Team.objects.in_organisation(organisation).with_member(person).order_by("name")
    readable = set(roles.teams_with_comments_visible_to(person).values_list("pk", flat=True))
    items = []
    for team in teams:
        if team.pk not in weeks:
            weeks[team.pk] = team_week(organisation, team, week_start)
        week = weeks[team.pk]
        items.append(
            week
            # Comments only for those who may read them (HR in a team sees the figures).
            | {"comments": list(week["comments"][:3]) if team.pk in readable else []}
            | {"url": settings.SITE_URL + reverse("dashboards:team_detail", args=[team.slug])}
        )
    language = person.language or settings.LANGUAGE_CODE
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    with translation.override(language), timezone.override(zone):
        context = {
            "person": person,
            "label": clock.period_name(week_start, clock.WEEK),
            "teams": items,
            "opt_out_url": settings.SITE_URL
            + reverse("dashboards:digest_opt_out", args=[digest_opt_out_token(person)]),
        }
        subject = render_to_string("dashboards/email/digest_subject.txt", context)
        text = render_to_string("dashboards/email/digest.txt", context)
        html = render_to_string("dashboards/email/digest.html", context)
    message = EmailMultiAlternatives(one_line(subject), text, to=[person.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["List-Unsubscribe"] = f"<{context['opt_out_url']}>"
    return message


def one_line(text: str) -> str:
    """A subject line: no line breaks (a team name could hold one), no surrounding space."""
    return " ".join(text.split())


def send_week(organisation, week_start) -> int:
    sent, weeks = 0, {}
    for person in recipients(organisation, week_start):
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=person, week_start=week_start)
                compose(person, organisation, week_start, weeks).send()
        except IntegrityError:
            continue  # another worker sent this one
        except OSError:
            logger.exception("weekly digest to person %s failed; next hour tries again", person.pk)
            continue
        sent += 1
    return sent


def send_all(now=None) -> int:
    sent = 0
    for organisation in Organisation.objects.all():
        week_start = week_to_send(organisation, now)
        if week_start is not None:
            sent += send_week(organisation, week_start)
    return sent
