"""Follow-ups for the demo: three months of unhappy customers, a third of whom left an address,
called back mostly on time, some late, some not reached, a few still open or overdue, so that
every figure and list shows something."""

import datetime as dt
import random

from django.utils import timezone

from feedback.models import Response
from followups.models import FollowUp, State
from followups.ownership import default_owners
from organisations import clock

DAYS = 80
SEED = 17
LESSONS = [
    "Het pakket lag bij de buren; we zetten de bezorgnotitie voortaan in de app.",
    "Klant wachtte 25 minuten in de wachtrij; terugbelverzoek aangeboden.",
    "Factuur was dubbel; gecorrigeerd en excuses gemaakt.",
    "Monteur kwam niet opdagen; nieuwe afspraak gemaakt met een vast tijdvak.",
]


def seed_followups(organisation) -> None:
    if FollowUp.objects.filter(organisation=organisation).exists():
        return  # seeded before: the demo is idempotent
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    now = timezone.now()
    today = clock.local_today(organisation)
    detractors = list(
        Response.objects.filter(
            organisation=organisation,
            score__lte=6,
            submitted_at__gte=now - dt.timedelta(days=DAYS),
        ).order_by("pk")
    )
    reachable = [response for response in detractors if rng.random() < 0.34]
    owners = default_owners({response.team_id for response in reachable})
    rows = []
    for number, response in enumerate(reachable, start=1):
        response.contact_email = response.contact_email or f"klant.{number}@example.com"
        due_on = clock.add_working_days(
            response.local_day, organisation.followup_working_days, organisation.holiday_country
        )
        opened_at = response.submitted_at + dt.timedelta(minutes=2)
        followup = FollowUp(
            organisation=organisation,
            team_id=response.team_id,
            response=response,
            reached_by="email",
            owner_id=owners.get(response.team_id),
            due_on=due_on,
            opened_at=opened_at,
            # Announced long ago: the demo does not mail anybody.
            opened_alert_at=now,
            reminder_at=now,
            escalated_at=now,
        )
        if (due_on < today and rng.random() < 0.9) or (due_on >= today and rng.random() < 0.3):
            late = rng.random() < 0.2
            days = rng.uniform(2.5, 6) if late else rng.uniform(0.1, 1.8)
            closed_at = min(opened_at + dt.timedelta(days=days), now)
            followup.state = State.UNREACHABLE if rng.random() < 0.15 else State.CLOSED
            followup.closed_at = closed_at
            followup.closed_on = clock.local_day(organisation.time_zone)(closed_at)
            followup.closed_by_id = followup.owner_id
            followup.learned = rng.choice(LESSONS)
        elif rng.random() < 0.4:
            followup.state = State.CONTACTED
            followup.contacted_at = opened_at + dt.timedelta(hours=5)
        rows.append(followup)
    Response.objects.bulk_update(reachable, ["contact_email"], batch_size=500)
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
