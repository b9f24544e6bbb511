"""Opening follow-ups for new detractor answers: exactly one per reachable answer, however
often the answer is sent or the task runs (a unique answer per follow-up; conflicts skipped)."""

import datetime as dt

from django.utils import timezone

from feedback.models import Response
from followups import reachability
from followups.models import FollowUp
from followups.ownership import default_owners
from kpis.metrics import DETRACTOR_MAX
from organisations import clock

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
    before = FollowUp.objects.filter(organisation=organisation).count()
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return FollowUp.objects.filter(organisation=organisation).count() - before
