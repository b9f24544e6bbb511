"""Rollups: the counts behind the KPIs per team (and organisation) and period.

Ingest marks the team-days it touched (``DirtyMark.objects.mark``, in its own transaction); a worker
recomputes every period those days fall in (``recompute_dirty``), never incrementing, so a task
run twice or a rebuild gives the same rows. Only days are computed from the raw rows: a week,
month or quarter is the sum of its days' rollups, and its distinct and returning customers the
sum of its days' ``DailyCustomers`` (see there). So one new row costs the work of its day, not
of a quarter. A new interaction can make a customer "returning" on their next visit, in a later
period: that day is recomputed too.
"""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from feedback.models import DirtyMark, Interaction, Response
from kpis import rollups_sql
from kpis.metrics import DETRACTOR_MAX, PROMOTER_MIN, category
from kpis.models import DailyCustomers, Rollup, ThemeRollup
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
]


def _scope_filter(organisation, team_id):
    scope = Q(organisation=organisation)
    return scope & Q(team_id=team_id) if team_id is not None else scope


RESPONSE_PART = "responses"
INTERACTION_PART = "interactions"
BOTH = frozenset({RESPONSE_PART, INTERACTION_PART})
RESPONSE_FIELDS = COUNT_FIELDS[:5]
INTERACTION_FIELDS = COUNT_FIELDS[5:]


# The DailyCustomers fields that give a period's (customers, returning customers), per kind.
DAILY_FIELDS = [
    "customers",
    "returning_customers",
    "first_in_week",
    "returning_in_week",
    "first_in_month",
    "returning_in_month",
    "first_in_quarter",
    "returning_in_quarter",
]
DAILY_OF_KIND = {
    kind: (DAILY_FIELDS[2 * number], DAILY_FIELDS[2 * number + 1])
    for number, kind in enumerate(clock.KINDS)
}


def visit_flags(day: dt.date, previous: dt.date | None) -> list[bool]:
    """A customer served on ``day``, last served before it on ``previous`` (or never): for
    each kind, whether this is their first day in that period, and whether they are returning
    there. In the order of DAILY_FIELDS."""
    flags = []
    for kind in clock.KINDS:
        start = clock.period_start(day, kind)
        earlier = previous is not None and previous < start
        flags += [previous is None or earlier, earlier]
    return flags


# The customers a scope served in [since, until), each with the moment of their visit just
# before (or just after) that: one index lookup per customer (on interaction_customer or
# interaction_team_customer), however long their history.
NEIGHBOUR = """
SELECT c.customer_hash,
       (SELECT i.occurred_at FROM feedback_interaction i
        WHERE i.organisation_id = %(org)s {team_i} AND i.customer_hash = c.customer_hash
          AND {outside}
        ORDER BY i.occurred_at {direction} LIMIT 1)
FROM (SELECT DISTINCT customer_hash FROM feedback_interaction
      WHERE organisation_id = %(org)s {team} AND occurred_at >= %(since)s
        AND occurred_at < %(until)s AND customer_hash <> '') c
"""
BEFORE = {"outside": "i.occurred_at < %(since)s", "direction": "DESC"}
AFTER = {"outside": "i.occurred_at >= %(until)s", "direction": "ASC"}


def _neighbours(organisation, team_id, day, side) -> dict:
    """{customer served on ``day``: local day of their visit before (BEFORE) or after (AFTER)
    it in the scope, or None}."""
    since, until = clock.bounds(day, clock.DAY, zoneinfo.ZoneInfo(organisation.time_zone))
    team = "" if team_id is None else "AND team_id = %(team)s"
    team_i = "" if team_id is None else "AND i.team_id = %(team)s"
    query = NEIGHBOUR.format(team=team, team_i=team_i, **side)
    params = {"org": organisation.pk, "team": team_id}
    # Django's own adaptation of the moments (SQLite stores them as UTC text).
    params["since"], params["until"] = (
        connection.ops.adapt_datetimefield_value(moment.astimezone(dt.UTC))
        for moment in (since, until)
    )
    local = clock.local_day(organisation.time_zone)
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for customer, moment in cursor.fetchall():
            if isinstance(moment, str):
                moment = parse_datetime(moment)
            if moment is not None and timezone.is_naive(moment):
                moment = moment.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without a zone
            found[customer] = None if moment is None else local(moment)
    return found


def compute_daily(organisation, team_id, day) -> dict:
    """The DailyCustomers counts of one scope and day, from the raw rows."""
    totals = dict.fromkeys(DAILY_FIELDS, 0)
    for before in _neighbours(organisation, team_id, day, BEFORE).values():
        for name, flag in zip(DAILY_FIELDS, visit_flags(day, before), strict=True):
            totals[name] += flag
    return totals


def store_daily(organisation, team_id, day, totals) -> None:
    key = {"organisation": organisation, "team_id": team_id, "day": day}
    DailyCustomers.objects.filter(**key).delete()
    if any(totals.values()):
        DailyCustomers.objects.create(**key, **totals)


def _lock(organisation, team_id) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [organisation.pk, team_id or 0])


def recompute_daily(organisation, team_id, day) -> None:
    """Recompute one scope's DailyCustomers of a day, taking turns with other workers (as
    ``recompute``)."""
    with transaction.atomic():
        _lock(organisation, team_id)
        store_daily(organisation, team_id, day, compute_daily(organisation, team_id, day))


def _days_of(model, organisation, team_id, period_kind, start, **extra):
    """The day rows of ``model`` (a day rollup or DailyCustomers) in one period of a scope."""
    day = "day" if model is DailyCustomers else "period_start"
    return model.objects.filter(
        organisation=organisation,
        team_id=team_id,
        **{f"{day}__gte": start, f"{day}__lt": clock.next_start(start, period_kind)},
        **extra,
    )


def compute(organisation, team_id, kind, start, parts=BOTH) -> tuple[dict, dict | None]:
    """The counts of one scope and period, and its theme counts.

    A day is counted from the raw rows (its customers from its DailyCustomers, which must be
    current); longer periods add up their days' rows, so those must be current first.
    ``parts`` limits the work to what changed: new responses leave the interaction counts as
    they were (and the other way round), so only the counts of those parts are returned;
    themes are None when the responses were not recomputed."""
    if kind != clock.DAY:
        return _compute_from_days(organisation, team_id, kind, start, parts)
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    since, until = clock.bounds(start, kind, zone)
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
            interactions=Count("pk"), errors=Count("pk", filter=Q(is_error=True))
        )
        counts |= _customers_from_days(organisation, team_id, kind, start)
    return counts, themes


def _customers_from_days(organisation, team_id, kind, start) -> dict:
    first, returning = DAILY_OF_KIND[kind]
    sums = _days_of(DailyCustomers, organisation, team_id, kind, start).aggregate(
        customers=Sum(first), returning_customers=Sum(returning)
    )
    return {name: value or 0 for name, value in sums.items()}


def _compute_from_days(organisation, team_id, kind, start, parts):
    days = _days_of(Rollup, organisation, team_id, kind, start, kind=clock.DAY)
    counts, themes = {}, None
    if RESPONSE_PART in parts:
        sums = days.aggregate(**{name: Sum(name) for name in RESPONSE_FIELDS})
        counts |= {name: value or 0 for name, value in sums.items()}
        day_themes = _days_of(ThemeRollup, organisation, team_id, kind, start, kind=clock.DAY)
        themes = {
            row["theme_id"]: (row["m"], row["d"])
            for row in day_themes.values("theme_id").annotate(
                m=Sum("mentions"), d=Sum("detractor_mentions")
            )
        }
    if INTERACTION_PART in parts:
        sums = days.aggregate(interactions=Sum("interactions"), errors=Sum("errors"))
        counts |= {name: value or 0 for name, value in sums.items()}
        counts |= _customers_from_days(organisation, team_id, kind, start)
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
        _lock(organisation, team_id)
        counts, themes = compute(organisation, team_id, kind, start, parts)
        store(organisation, team_id, kind, start, counts, themes)


def next_visit_days(organisation, team_id, day) -> set:
    """The days on which the customers a scope served on ``day`` were next served there: a
    new visit on ``day`` may have made them returning on that day."""
    return {later for later in _neighbours(organisation, team_id, day, AFTER).values() if later}


def affected(organisation, marks, *, limit=None) -> tuple[set, dict]:
    """What the marks make stale: the (team id or None, day) pairs whose DailyCustomers must
    be recomputed, and {(team id or None, kind, start): parts} for the clock. Stops looking
    for customers' next visits once more than ``limit`` periods are stale anyway."""
    daily, wanted = set(), {}

    def want(team_id, day, part):
        for kind in clock.KINDS:
            key = (team_id, kind, clock.period_start(day, kind))
            wanted[key] = wanted.get(key, frozenset()) | {part}

    for mark in marks:
        # Interaction marks are the ones marked "later periods too".
        part = INTERACTION_PART if mark.later_periods else RESPONSE_PART
        for scope in (mark.team_id, None):
            want(scope, mark.day, part)
            if mark.later_periods:
                daily.add((scope, mark.day))
    if limit is not None and len(wanted) > limit:
        return daily, wanted
    for scope, day in sorted(daily, key=lambda pair: (pair[0] or 0, pair[1])):
        for later in next_visit_days(organisation, scope, day):
            daily.add((scope, later))
            want(scope, later, INTERACTION_PART)
    return daily, wanted


KIND_ORDER = {kind: number for number, kind in enumerate(clock.KINDS)}


def recompute_dirty(organisation, *, limit: int = 500) -> int:
    """Recompute the periods behind up to ``limit`` marks; returns how many marks were done.

    Idempotent: running it twice, or two workers at once, recomputes the same rows. A mark set
    again while this ran keeps its new token and is left for the next run.
    """
    marks = list(DirtyMark.objects.filter(organisation=organisation).order_by("day")[:limit])
    if not marks:
        return 0
    daily, wanted = affected(organisation, marks, limit=settings.ROLLUP_REBUILD_ABOVE)
    if len(wanted) > settings.ROLLUP_REBUILD_ABOVE:
        # A backfill touching many periods: one pass over the rows beats a query per period.
        rebuild(organisation)
        return len(marks)
    # Days before the periods that add them up: customers' days, then each scope's day
    # rollups before its weeks, months and quarters.
    for scope, day in sorted(daily, key=lambda pair: (pair[0] or 0, pair[1])):
        recompute_daily(organisation, scope, day)
    for key in sorted(wanted, key=lambda k: (k[0] or 0, KIND_ORDER[k[1]], k[2])):
        recompute(organisation, *key, parts=wanted[key])
    for mark in marks:
        DirtyMark.objects.filter(pk=mark.pk, token=mark.token).delete()
    return len(marks)


def _empty():
    return dict.fromkeys(COUNT_FIELDS, 0)


def compute_all(organisation):
    """Every scope and period in one pass over the raw rows: what ``compute`` gives for each,
    for all at once. Returns ({key: counts}, {key: {theme id: (mentions, detractors)}},
    {(team id or None, day): DailyCustomers counts})."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    starts_of = {}  # local day -> [(kind, start)], memoised

    def keys(team_id, moment):
        day = moment.astimezone(zone).date()
        if day not in starts_of:
            starts_of[day] = [(kind, clock.period_start(day, kind)) for kind in clock.KINDS]
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
    visits = {}  # (team id or None, customer) -> local days served
    for team_id, customer, moment, is_error in (
        Interaction.objects.filter(organisation=organisation)
        .order_by("occurred_at")
        .values_list("team_id", "customer_hash", "occurred_at", "is_error")
    ):
        if customer:
            first_seen.setdefault((team_id, customer), moment)
            first_seen.setdefault((None, customer), moment)
            day = moment.astimezone(zone).date()
            visits.setdefault((team_id, customer), set()).add(day)
            visits.setdefault((None, customer), set()).add(day)
        for key in keys(team_id, moment):
            row = counts.setdefault(key, _empty())
            row["interactions"] += 1
            row["errors"] += is_error
            if customer:
                customers.setdefault(key, set()).add(customer)
    for key, seen in customers.items():
        scope, kind, start = key
        since = clock.bounds(start, kind, zone)[0]
        counts[key]["customers"] = len(seen)
        counts[key]["returning_customers"] = sum(
            first_seen[(scope, customer)] < since for customer in seen
        )
    daily = {}
    for (scope, _customer), days in visits.items():
        previous = None
        for day in sorted(days):
            row = daily.setdefault((scope, day), dict.fromkeys(DAILY_FIELDS, 0))
            for name, flag in zip(DAILY_FIELDS, visit_flags(day, previous), strict=True):
                row[name] += flag
            previous = day
    return counts, themes, daily


def rebuild(organisation) -> int:
    """Recompute every rollup of the organisation from the raw rows; returns rows written.

    One pass over the raw rows instead of one query per period; it gives exactly what
    ``recompute`` gives period by period (tests hold the two against each other)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "LOCK TABLE feedback_rollup, feedback_dailycustomers "
                    "IN SHARE ROW EXCLUSIVE MODE"
                )
        DirtyMark.objects.filter(organisation=organisation).delete()
        if connection.vendor == "postgresql":
            counts, themes, daily = rollups_sql.compute_all(organisation)
        else:
            counts, themes, daily = compute_all(organisation)
        Rollup.objects.filter(organisation=organisation).delete()
        ThemeRollup.objects.filter(organisation=organisation).delete()
        DailyCustomers.objects.filter(organisation=organisation).delete()
        DailyCustomers.objects.bulk_create(
            [
                DailyCustomers(organisation=organisation, team_id=team_id, day=day, **row)
                for (team_id, day), row in daily.items()
                if any(row.values())
            ],
            batch_size=2000,
        )
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
