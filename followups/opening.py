"""Opening follow-ups for new detractor answers: exactly one per reachable answer, however
often the answer is sent or the task runs (a unique answer per follow-up; conflicts skipped)."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback.models import Response
from followups import reachability
from followups.models import FollowUp
from followups.ownership import default_owners
from kpis.metrics import DETRACTOR_MAX
from organisations import clock, webhooks
from organisations.models import WebhookEvent

# Only recent answers are followed up: an import of last year's feedback is history, not a
# customer waiting for a call.
WINDOW = dt.timedelta(days=14)


def detractors(organisation, now=None):
    since = (now or timezone.now()) - WINDOW
    return Response.objects.filter(
        organisation=organisation,
        submitted_at__gte=since,
        score__isnull=False,
        score__lte=DETRACTOR_MAX,
    )


def to_discuss(organisation, now=None):
    """Recent detractor answers nobody can call back: the team discusses them instead."""
    return detractors(organisation, now).exclude(reachability.reachable())


def open_for(organisation, now=None) -> int:
    """Open a follow-up for every recent reachable detractor answer that has none yet.
    Returns how many were opened."""
    candidates = list(
        reachability.with_way(
            detractors(organisation, now)
            .filter(reachability.reachable())
            .filter(followup__isnull=True)
        ).values("pk", "team_id", "local_day", "reached_by")
    )
    if not candidates:
        return 0
    owners = default_owners({row["team_id"] for row in candidates})
    days, country = organisation.followup_working_days, organisation.holiday_country
    opened_at = now or timezone.now()
    rows = [
        FollowUp(
            organisation=organisation,
            team_id=row["team_id"],
            response_id=row["pk"],
            reached_by=row["reached_by"],
            owner_id=owners.get(row["team_id"]),
            due_on=clock.add_working_days(row["local_day"], days, country),
            opened_at=opened_at,
        )
        for row in candidates
    ]
    with transaction.atomic():
        before = FollowUp.objects.filter(organisation=organisation).count()
        FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
        opened = FollowUp.objects.filter(organisation=organisation).count() - before
        if opened and webhooks.wanted(organisation, WebhookEvent.FOLLOWUP_OPENED):
            created = FollowUp.objects.filter(response_id__in=[r["pk"] for r in candidates])
            for followup in created.select_related("team", "response"):
                tell_webhooks(followup, WebhookEvent.FOLLOWUP_OPENED)
    return opened


def tell_webhooks(followup, event) -> None:
    """A follow-up opened or overdue; the customer's comment only to the team's own webhook.
    Keyed by the follow-up, so each is told once."""
    response = followup.response
    webhooks.emit(
        followup.organisation,
        event,
        f"{event}:{followup.pk}",
        {
            "followup": followup.pk,
            "team": followup.team.slug,
            "score": response.score,
            "due_on": followup.due_on,
            "reached_by": followup.reached_by,
            "url": settings.SITE_URL + reverse("followups:detail", args=[followup.pk]),
        },
        team=followup.team,
        comments={response.pk: response.comment} if response.comment else None,
    )
