"""An independent recomputation of the rollups, straight from the raw rows in Python, written
apart from ``kpis``: the rebuild and the incremental updates are both held against it. It
reads moments, not the stored local days, so it checks those too."""

import zoneinfo
from collections import defaultdict

from feedback.models import Interaction, Invitation, Response
from organisations import clock

COUNT_FIELDS = [
    "responses",
    "promoters",
    "passives",
    "detractors",
    "comments",
    "interactions",
    "errors",
    "customers",
    "returning_customers",
    "invitations",
    "answered",
]


def rollups(organisation):
    """A straightforward recomputation from the raw rows, written independently."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    result = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))
    for response in Response.objects.filter(organisation=organisation):
        day = response.submitted_at.astimezone(zone).date()
        for scope in (response.team_id, None):
            for kind in clock.KINDS:
                row = result[(scope, kind, clock.period_start(day, kind))]
                if response.score is not None:
                    row["responses"] += 1
                    category = (
                        "promoters"
                        if response.score >= 9
                        else "passives"
                        if response.score >= 7
                        else "detractors"
                    )
                    row[category] += 1
                row["comments"] += bool(response.comment)
    interactions = list(Interaction.objects.filter(organisation=organisation))
    for interaction in interactions:
        day = interaction.occurred_at.astimezone(zone).date()
        for scope in (interaction.team_id, None):
            for kind in clock.KINDS:
                start = clock.period_start(day, kind)
                row = result[(scope, kind, start)]
                row["interactions"] += 1
                row["errors"] += interaction.is_error
    for invitation in Invitation.objects.filter(organisation=organisation, local_day__isnull=False):
        day = invitation.counted_at.astimezone(zone).date()
        for scope in (invitation.team_id, None):
            for kind in clock.KINDS:
                row = result[(scope, kind, clock.period_start(day, kind))]
                row["invitations"] += 1
                row["answered"] += invitation.answered_at is not None
    for (scope, kind, start), row in result.items():
        since, until = clock.bounds(start, kind, zone)
        in_scope = [i for i in interactions if scope in (None, i.team_id) and i.customer_hash]
        present = {i.customer_hash for i in in_scope if since <= i.occurred_at < until}
        before = {i.customer_hash for i in in_scope if i.occurred_at < since}
        row["customers"] = len(present)
        row["returning_customers"] = len(present & before)
    return sorted(
        ((scope, kind, start, *row.values()) for (scope, kind, start), row in result.items()),
        key=str,
    )


def themes(organisation):
    """Sorted (scope, kind, start, theme id, mentions, among detractors) rows."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    result = defaultdict(lambda: [0, 0])
    for response in Response.objects.filter(organisation=organisation).prefetch_related("themes"):
        day = response.submitted_at.astimezone(zone).date()
        for theme in response.themes.all():
            for scope in (response.team_id, None):
                for kind in clock.KINDS:
                    row = result[(scope, kind, clock.period_start(day, kind), theme.pk)]
                    row[0] += 1
                    row[1] += response.score is not None and response.score <= 6
    return sorted(((*key, *counts) for key, counts in result.items()), key=str)
