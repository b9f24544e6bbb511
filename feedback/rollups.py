"""Rollups: the counts behind the KPIs per team (and organisation) and period.

Ingest marks the team-days it touched (``mark_dirty``, in its own transaction); a worker
recomputes every period those days fall in (``recompute_dirty``), never incrementing, so a task
run twice or a rebuild gives the same rows. New interactions can make a customer "returning" in
every later period, so interaction marks reach forward to today.
"""

import datetime as dt
import uuid
import zoneinfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from feedback import periods, rollups_sql
from feedback.metrics import DETRACTOR_MAX, PROMOTER_MIN, category
from feedback.models import DirtyMark, Interaction, Response, Rollup, ThemeRollup

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
]


def mark_dirty(organisation, touched, *, later_periods: bool) -> None:
    """Record the (team id, local day) pairs a write touched. Call inside its transaction."""
    if not touched:
        return
    now = timezone.now()
    DirtyMark.objects.bulk_create(
        [
            DirtyMark(
                organisation=organisation,
                team_id=team_id,
                day=day,
                later_periods=later_periods,
                token=uuid.uuid4(),
                marked_at=now,
            )
            for team_id, day in touched
        ],
        update_conflicts=True,
        unique_fields=["team", "day", "later_periods"],
        update_fields=["token", "marked_at"],
    )


def _scope_filter(organisation, team_id):
    scope = Q(organisation=organisation)
    return scope & Q(team_id=team_id) if team_id is not None else scope


RESPONSE_PART = "responses"
INTERACTION_PART = "interactions"
BOTH = frozenset({RESPONSE_PART, INTERACTION_PART})
RESPONSE_FIELDS = COUNT_FIELDS[:5]
INTERACTION_FIELDS = COUNT_FIELDS[5:]


def compute(organisation, team_id, kind, start, parts=BOTH) -> tuple[dict, dict | None]:
    """The counts of one scope and period straight from the raw rows, and its theme counts.

    ``parts`` limits the work to what changed: new responses leave the interaction counts as
    they were (and the other way round), so only the counts of those parts are returned;
    themes are None when the responses were not recomputed."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    since, until = periods.bounds(start, kind, zone)
    scope = _scope_filter(organisation, team_id)
    counts, themes = {}, None
    if RESPONSE_PART in parts:
        responses = Response.objects.filter(scope, submitted_at__gte=since, submitted_at__lt=until)
        counts |= responses.aggregate(
            responses=Count("score"),
            promoters=Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
            passives=Count("pk", filter=Q(score__gt=DETRACTOR_MAX, score__lt=PROMOTER_MIN)),
            detractors=Count("pk", filter=Q(score__lte=DETRACTOR_MAX)),
            comments=Count("pk", filter=~Q(comment="")),
        )
        through = Response.themes.through
        themes = {
            row["theme_id"]: (row["mentions"], row["detractor_mentions"])
            for row in through.objects.filter(response__in=responses)
            .values("theme_id")
            .annotate(
                mentions=Count("pk"),
                detractor_mentions=Count("pk", filter=Q(response__score__lte=DETRACTOR_MAX)),
            )
        }
    if INTERACTION_PART in parts:
        interactions = Interaction.objects.filter(
            scope, occurred_at__gte=since, occurred_at__lt=until
        )
        counts |= interactions.aggregate(
            interactions=Count("pk"),
            errors=Count("pk", filter=Q(is_error=True)),
            customers=Count("customer_hash", distinct=True, filter=~Q(customer_hash="")),
        )
        served_before = Interaction.objects.filter(
            scope, customer_hash=OuterRef("customer_hash"), occurred_at__lt=since
        )
        counts["returning_customers"] = (
            interactions.exclude(customer_hash="")
            .filter(Exists(served_before))
            .values("customer_hash")
            .distinct()
            .count()
        )
    return counts, themes


def store(organisation, team_id, kind, start, counts, themes) -> None:
    """Replace the rollup rows of one scope and period with what was recomputed (the counts
    given, and the themes unless None); no row when nothing happened."""
    key = {"organisation": organisation, "team_id": team_id, "kind": kind, "period_start": start}
    if themes is not None:
        ThemeRollup.objects.filter(**key).delete()
        ThemeRollup.objects.bulk_create(
            [
                ThemeRollup(**key, theme_id=theme_id, mentions=m, detractor_mentions=d)
                for theme_id, (m, d) in themes.items()
            ]
        )
    existing = Rollup.objects.filter(**key).first()
    full = dict.fromkeys(COUNT_FIELDS, 0)
    if existing is not None:
        full.update({name: getattr(existing, name) for name in COUNT_FIELDS})
    full.update(counts)
    if not any(full.values()):
        if existing is not None:
            existing.delete()
        return
    if existing is None:
        Rollup.objects.create(**key, **full)
    else:
        Rollup.objects.filter(pk=existing.pk).update(**full, updated_at=timezone.now())


def recompute(organisation, team_id, kind, start, parts=BOTH) -> None:
    """Recompute one scope and period in a transaction of its own.

    On PostgreSQL, workers take turns per scope (an advisory lock held until commit), and each
    reads after the previous one committed: the last to write has seen every row, so two
    workers on the same period cannot leave older figures behind.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [organisation.pk, team_id or 0]
                )
        counts, themes = compute(organisation, team_id, kind, start, parts)
        store(organisation, team_id, kind, start, counts, themes)


def local_today(organisation) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def affected_periods(organisation, marks) -> dict:
    """{(team id or None, kind, start): parts to recompute} for every period the marked days
    fall in, and for interaction marks every later period up to today."""
    today = local_today(organisation)
    wanted = {}
    for mark in marks:
        # Interactions are marked "later periods too"; responses only their own day.
        part = INTERACTION_PART if mark.later_periods else RESPONSE_PART
        for kind in periods.KINDS:
            if mark.later_periods:
                starts = periods.starts_between(mark.day, max(today, mark.day), kind)
            else:
                starts = [periods.period_start(mark.day, kind)]
            for start in starts:
                for key in ((mark.team_id, kind, start), (None, kind, start)):
                    wanted[key] = wanted.get(key, frozenset()) | {part}
    return wanted


def recompute_dirty(organisation, *, limit: int = 500) -> int:
    """Recompute the periods behind up to ``limit`` marks; returns how many marks were done.

    Idempotent: running it twice, or two workers at once, recomputes the same rows. A mark set
    again while this ran keeps its new token and is left for the next run.
    """
    marks = list(DirtyMark.objects.filter(organisation=organisation).order_by("day")[:limit])
    if not marks:
        return 0
    wanted = affected_periods(organisation, marks)
    if len(wanted) > settings.ROLLUP_REBUILD_ABOVE:
        # A backfill touching many periods: one pass over the rows beats a query per period.
        rebuild(organisation)
        return len(marks)
    for key in sorted(wanted, key=lambda k: (k[0] or 0, k[1], k[2])):
        recompute(organisation, *key, parts=wanted[key])
    for mark in marks:
        DirtyMark.objects.filter(pk=mark.pk, token=mark.token).delete()
    return len(marks)


def _empty():
    return dict.fromkeys(COUNT_FIELDS, 0)


def compute_all(organisation):
    """Every scope and period in one pass over the raw rows: what ``compute`` gives for each,
    for all at once. Returns ({key: counts}, {key: {theme id: (mentions, detractors)}})."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    starts_of = {}  # local day -> [(kind, start)], memoised

    def keys(team_id, moment):
        day = moment.astimezone(zone).date()
        if day not in starts_of:
            starts_of[day] = [(kind, periods.period_start(day, kind)) for kind in periods.KINDS]
        for kind, start in starts_of[day]:
            yield (team_id, kind, start)
            yield (None, kind, start)

    counts, themes = {}, {}
    scores = {}
    for response_id, team_id, moment, score, comment in Response.objects.filter(
        organisation=organisation
    ).values_list("pk", "team_id", "submitted_at", "score", "comment"):
        scores[response_id] = (team_id, moment, score)
        for key in keys(team_id, moment):
            row = counts.setdefault(key, _empty())
            if score is not None:
                row["responses"] += 1
                row[category(score)] += 1
            if comment:
                row["comments"] += 1
    through = Response.themes.through
    for response_id, theme_id in through.objects.filter(
        response__organisation=organisation
    ).values_list("response_id", "theme_id"):
        team_id, moment, score = scores[response_id]
        for key in keys(team_id, moment):
            mentions, detractors = themes.setdefault(key, {}).get(theme_id, (0, 0))
            is_detractor = score is not None and category(score) == "detractors"
            themes[key][theme_id] = (mentions + 1, detractors + is_detractor)
    first_seen = {}  # (team id or None, customer) -> earliest moment
    customers = {}  # key -> set of customers
    for team_id, customer, moment, is_error in (
        Interaction.objects.filter(organisation=organisation)
        .order_by("occurred_at")
        .values_list("team_id", "customer_hash", "occurred_at", "is_error")
    ):
        if customer:
            first_seen.setdefault((team_id, customer), moment)
            first_seen.setdefault((None, customer), moment)
        for key in keys(team_id, moment):
            row = counts.setdefault(key, _empty())
            row["interactions"] += 1
            row["errors"] += is_error
            if customer:
                customers.setdefault(key, set()).add(customer)
    for key, seen in customers.items():
        scope, kind, start = key
        since = periods.bounds(start, kind, zone)[0]
        counts[key]["customers"] = len(seen)
        counts[key]["returning_customers"] = sum(
            first_seen[(scope, customer)] < since for customer in seen
        )
    return counts, themes


def rebuild(organisation) -> int:
    """Recompute every rollup of the organisation from the raw rows; returns rows written.

    One pass over the raw rows instead of one query per period; it gives exactly what
    ``recompute`` gives period by period (tests hold the two against each other)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE feedback_rollup IN SHARE ROW EXCLUSIVE MODE")
        DirtyMark.objects.filter(organisation=organisation).delete()
        if connection.vendor == "postgresql":
            counts, themes = rollups_sql.compute_all(organisation)
        else:
            counts, themes = compute_all(organisation)
        Rollup.objects.filter(organisation=organisation).delete()
        ThemeRollup.objects.filter(organisation=organisation).delete()
        Rollup.objects.bulk_create(
            [
                Rollup(
                    organisation=organisation, team_id=team_id, kind=kind, period_start=start, **row
                )
                for (team_id, kind, start), row in counts.items()
                if any(row.values())
            ],
            batch_size=2000,
        )
        ThemeRollup.objects.bulk_create(
            [
                ThemeRollup(
                    organisation=organisation,
                    team_id=team_id,
                    kind=kind,
                    period_start=start,
                    theme_id=theme_id,
                    mentions=mentions,
                    detractor_mentions=detractors,
                )
                for (team_id, kind, start), found in themes.items()
                for theme_id, (mentions, detractors) in found.items()
            ],
            batch_size=2000,
        )
    return Rollup.objects.filter(organisation=organisation).count()
