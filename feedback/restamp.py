"""Stamping an organisation's rows again with their local days after it moved to another time
zone: batch by batch, each in a transaction that also marks the old and the new days dirty, so
the KPI engine recomputes exactly what moved (and converges even if this is interrupted)."""

import datetime as dt
import zoneinfo

from django.db import transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from feedback.models import DirtyMark, Interaction, Invitation, Response
from feedback.signals import announce_after_commit
from organisations import clock
from organisations.models import ClockChange

BATCH = 10_000
# A restamp normally starts within seconds and finishes a batch within seconds; the sweeper
# sends again only a change that has not moved on for this long.
GRACE = dt.timedelta(minutes=2)
# (table, its moment, whether its days change customers in later periods)
TABLES = {
    "responses": (Response, "submitted_at", False),
    "interactions": (Interaction, "occurred_at", True),
    # Counted in the response rate once made (link) or sent (e-mail); waiting ones have no day.
    "invitations": (Invitation, "counted_at", False),
}


def restamp(change_id: int) -> bool:
    """Restamp the change's organisation's rows; True once they are all on its current clock.

    Workers that run it at once take turns per batch and share where it has got to, so a
    second delivery of the task, or the sweeper's, does no batch twice."""
    change = ClockChange.objects.select_related("organisation").filter(pk=change_id).first()
    if change is None or change.finished_at or change.restamped_at:
        return False
    organisation = change.organisation
    if not change.rows_total:
        total = sum(
            model.objects.filter(organisation=organisation).count()
            for model, _moment, _later in TABLES.values()
        )
        ClockChange.objects.filter(pk=change.pk, rows_total=0).update(rows_total=total)
    for name, (model, moment, later_periods) in TABLES.items():
        while True:
            with transaction.atomic():
                # The organisation's row before the change's, in the order a change of zone
                # takes them (it saves the organisation, then records the change).
                zone = clock.zone_for_stamping(organisation)
                change = ClockChange.objects.select_for_update().get(pk=change_id)
                if change.finished_at:
                    return False  # overtaken by a later change of zone
                done = _restamp_batch(change, zone, name, model, moment, later_periods)
            if done:
                break
    with transaction.atomic():
        updated = ClockChange.objects.filter(
            pk=change_id, finished_at__isnull=True, restamped_at__isnull=True
        ).update(restamped_at=timezone.now())
        # Even with nothing moved, the engine must hear of it to finish the change.
        announce_after_commit(organisation)
    return bool(updated)


def _restamp_batch(change, zone, name, model, moment, later_periods) -> bool:
    """One batch after the change's cursor in one table; True when the table is done."""
    organisation = change.organisation
    after = change.cursors.get(name, 0)
    ids = list(
        model.objects.filter(organisation=organisation, pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not ids:
        return True
    stamped = TruncDate(moment, tzinfo=zoneinfo.ZoneInfo(zone))
    batch = model.objects.filter(organisation=organisation, pk__gte=ids[0], pk__lte=ids[-1])
    moved = list(
        batch.exclude(local_day=stamped)
        .exclude(local_day__isnull=True)
        .values_list("pk", "team_id", "local_day")
    )
    if moved:
        pks = [pk for pk, _team, _day in moved]
        model.objects.filter(pk__in=pks).update(local_day=stamped)
        days = {(team, day) for _pk, team, day in moved}
        days |= set(model.objects.filter(pk__in=pks).values_list("team_id", "local_day"))
        DirtyMark.objects.mark(organisation, days, later_periods=later_periods)
    change.cursors[name] = ids[-1]
    change.rows_done += len(ids)
    change.progressed_at = timezone.now()
    change.save(update_fields=["cursors", "rows_done", "progressed_at"])
    return False
