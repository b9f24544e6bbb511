"""Management's own follow-through, on the programme page for everyone to see: how long ideas
wait for a decision, how long ago management last published results, expectations and plans,
and which targets have no idea or plan item behind them. Three queries."""

import datetime as dt
from dataclasses import dataclass, field
from statistics import median

from django.db.models import Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce

from followups.figures import median_interval
from ideas.models import Idea, IdeaStatus
from levels.models import PlanItem
from programmes.models import Target, Update, UpdateKind

DAYS_PER_MONTH = 30.44
DECISIONS_SINCE = dt.timedelta(days=365)


@dataclass
class ManagementRecord:
    decided: int = 0
    median_days_to_decide: float | None = None
    median_low: float | None = None
    median_high: float | None = None
    undecided: int = 0
    oldest_undecided_days: int | None = None
    # (kind label, months since the last update of that kind or None when there was none)
    updates: list = field(default_factory=list)
    targets_without_backing: list = field(default_factory=list)


def management_record(organisation, now, today) -> ManagementRecord:
    record = ManagementRecord()
    ideas = (
        Idea.objects.filter(organisation=organisation)
        .filter(Q(created_at__gte=now - DECISIONS_SINCE) | Q(status=IdeaStatus.PROPOSED))
        .annotate(decided_at=Coalesce("accepted_at", "declined_at"))
        .values_list("status", "created_at", "decided_at")
    )
    waits, waiting_since = [], []
    for status, proposed, decided_at in ideas:
        if status == IdeaStatus.PROPOSED:
            waiting_since.append(proposed)
        elif decided_at is not None and proposed >= now - DECISIONS_SINCE:
            waits.append((decided_at - proposed).total_seconds() / 86400)
    record.decided = len(waits)
    if waits:
        record.median_days_to_decide = round(median(waits), 1)
        low, high = median_interval(waits)
        record.median_low, record.median_high = round(low, 1), round(high, 1)
    record.undecided = len(waiting_since)
    if waiting_since:
        record.oldest_undecided_days = (now - min(waiting_since)).days
    last = dict(
        Update.objects.filter(organisation=organisation)
        .values("kind")
        .annotate(last=Max("published_at"))
        .values_list("kind", "last")
    )
    record.updates = [
        (
            label,
            None
            if last.get(kind) is None
            else round((now - last[kind]).total_seconds() / 86400 / DAYS_PER_MONTH, 1),
        )
        for kind, label in UpdateKind.choices
    ]
    record.targets_without_backing = list(
        Target.objects.filter(organisation=organisation, due_on__gte=today)
        .filter(
            ~Exists(Idea.objects.filter(target=OuterRef("pk"))),
            ~Exists(PlanItem.targets.through.objects.filter(target=OuterRef("pk"))),
        )
        .select_related("team", "organisation")
        .order_by("due_on")
    )
    return record
