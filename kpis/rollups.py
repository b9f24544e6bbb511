"""Rollups: the counts behind the KPIs per team (and the whole organisation) and period, kept
current from capture's dirty marks (``recompute_dirty``) and rebuilt from the raw rows at will
(``rebuild``); both give the same rows, because both count with ``kpis.counting``.

Only days are counted from the raw rows: a team's day from its rows, the organisation's day
from its teams' days, and a week, month or quarter from its days (``counting.add_up``), their
customers from the days' ``DailyCustomers``. So one new row costs the work of its day, not of
a quarter. Tasks recompute rather than increment: running one twice changes nothing.

Every write of an organisation's rollups, a rebuild or an update, first takes the
organisation's lock for its transaction (on PostgreSQL), so they take turns and each reads what
the one before it committed; none can leave older figures behind. Taking the lock also raises
the organisation's rollup version (``kpis.versions``) that caches of the figures are keyed by.
Every rollup table has a unique key, so a row can never be there twice; a transaction thrown
away in a deadlock is tried again (``organisations.conflicts``).
"""

import json
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from feedback.models import DirtyMark
from kpis import counting, incremental, store, versions
from kpis.counting import COUNT_FIELDS, DAILY_FIELDS, add_up, add_up_themes
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from organisations import clock, conflicts
from organisations.models import ClockChange

KIND_ORDER = {kind: number for number, kind in enumerate(clock.KINDS)}
LONGER = clock.KINDS[1:]  # the kinds added up from days
NO_CUSTOMERS = dict.fromkeys(DAILY_FIELDS, 0)
__all__ = ["COUNT_FIELDS", "DAILY_FIELDS", "rebuild", "recompute", "recompute_dirty"]


def lock(organisation) -> None:
    """Take the organisation's rollup lock until the transaction ends (PostgreSQL; SQLite
    writes one at a time anyway), and raise its rollup version in the same transaction: every
    write of rollups comes through here, so no cache keyed by the version outlives a write."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, 0)", [organisation.pk])
    versions.bump(organisation)


def _periods(days, dailies, day_themes, wanted=None):
    """Every period (or the ``wanted`` (scope, kind, start)) that the given day rows make up:
    ({key: counts}, {key: themes}). ``days``: {(scope, day): counts}; ``dailies``: {(scope,
    day): DailyCustomers counts}; ``day_themes``: {(scope, day): themes}."""
    grouped = defaultdict(lambda: ([], [], []))
    for source, place in ((days, 0), (dailies, 1), (day_themes, 2)):
        for (scope, day), value in source.items():
            for kind in LONGER:
                key = (scope, kind, clock.period_start(day, kind))
                if wanted is None or key in wanted:
                    grouped[key][place].append(value)
    counts = {key: add_up(key[1], rows, daily) for key, (rows, daily, _t) in grouped.items()}
    themes = {key: add_up_themes(found) for key, (_r, _d, found) in grouped.items()}
    return counts, themes


def _day_rows(counts, dailies, scope_days):
    """{(scope, day): counts} of the given days: a team's day from its raw counts, the
    organisation's from its teams' days; customers from the scope's DailyCustomers."""
    by_day = defaultdict(list)
    for (_team, day), row in counts.items():
        by_day[day].append(row)
    result = {}
    for scope, day in scope_days:
        rows = by_day[day] if scope is None else [counts.get((scope, day), {})]
        result[(scope, day)] = add_up(clock.DAY, rows, [dailies.get((scope, day), NO_CUSTOMERS)])
    return result


def _as_day_keys(rows):
    return {(scope, clock.DAY, day): value for (scope, day), value in rows.items()}


# --- A rebuild -----------------------------------------------------------------------------


@conflicts.retried
def rebuild(organisation) -> int:
    """Recompute every rollup of the organisation from the raw rows; returns rows written."""
    with transaction.atomic():
        lock(organisation)
        done = _rebuild(organisation)
    _clear(done)
    return Rollup.objects.filter(organisation=organisation).count()


def _rebuild(organisation) -> list:
    """The rebuild itself, under the organisation's lock; returns the marks it did."""
    marks = list(DirtyMark.objects.filter(organisation=organisation).values_list("pk", "token"))
    responses, themes = counting.count_responses(organisation)
    interactions = counting.count_interactions(organisation)
    invitations = counting.count_invitations(organisation)
    team_flags, whole_flags = counting.flag_customers(organisation)
    counts = defaultdict(dict)
    for source in (responses, interactions, invitations):
        for key, row in source.items():
            counts[key] |= row
    dailies = team_flags | {(None, day): row for day, row in whole_flags.items()}
    scope_days = set(counts) | set(team_flags) | {(None, day) for _team, day in counts}
    scope_days |= {(None, day) for day in whole_flags}
    days = _day_rows(counts, dailies, scope_days)
    day_themes = dict(themes)
    for (_team, day), found in themes.items():
        day_themes[(None, day)] = add_up_themes([day_themes.get((None, day), {}), found])
    periods, period_themes = _periods(days, dailies, day_themes)
    for model in (Rollup, ThemeRollup, DailyCustomers):
        model.objects.filter(organisation=organisation).delete()
    store.create(DailyCustomers, organisation, dailies, day_field="day")
    store.create(Rollup, organisation, _as_day_keys(days) | periods)
    store.create(
        ThemeRollup,
        organisation,
        {
            (*key, theme): {"mentions": mentions, "detractor_mentions": detractors}
            for key, found in (_as_day_keys(day_themes) | period_themes).items()
            for theme, (mentions, detractors) in found.items()
        },
        keys=["kind", "period_start", "theme_id"],
    )
    return marks


def _clear(marks, chunk=100) -> None:
    """Remove the marks that were done, unless marked again meanwhile (a new token)."""
    for first in range(0, len(marks), chunk):
        done = Q()
        for pk, token in marks[first : first + chunk]:
            done |= Q(pk=pk, token=token)
        DirtyMark.objects.filter(done).delete()


# --- Bringing the rollups up to date after ingest -------------------------------------------


# On PostgreSQL a batch of marks is written set-based (``kpis.incremental``); the tests also
# take the ORM's way there (``_update``), and hold both against the same recomputation.
SQL_UPDATES = True


@conflicts.retried
def recompute_dirty(organisation, *, limit: int = 100) -> int:
    """Recompute the periods behind up to ``limit`` marks, and remove those marks, in one
    transaction; returns how many marks were done.

    Idempotent: running it twice, or two workers at once, recomputes the same rows. A mark set
    again while this ran keeps its new token and is left for the next run. When the marks
    waiting touch more periods than ``ROLLUP_REBUILD_ABOVE`` (a backfill, a change of time
    zone), one rebuild does them all: one pass over the rows beats one per period.
    """
    with transaction.atomic():
        lock(organisation)
        pending = list(
            DirtyMark.objects.filter(organisation=organisation)
            .order_by("team_id", "day", "later_periods")
            .values_list("pk", "token", "team_id", "day", "later_periods")
        )
        if _period_count((team, day) for _pk, _token, team, day, _l in pending) > (
            settings.ROLLUP_REBUILD_ABOVE
        ):
            done = _rebuild(organisation)
        else:
            marks = pending[:limit]
            response_days = {(team, day) for _p, _t, team, day, later in marks if not later}
            interaction_days = {(team, day) for _p, _t, team, day, later in marks if later}
            if not marks:
                pass
            elif connection.vendor == "postgresql" and SQL_UPDATES:
                incremental.update(organisation, response_days, interaction_days)
            else:
                _update(organisation, response_days, interaction_days)
            _remove_done([(pk, token) for pk, token, *_rest in marks])
            finish_clock_changes(organisation)
            return len(marks)
    # A rebuild's marks go after its commit and apart from it: a backlog's marks are many, and
    # ingest marking the same days should not wait on them.
    _clear(done)
    return len(done)


def _remove_done(marks) -> None:
    """Remove the marks that were done, inside the recomputation's transaction, unless marked
    again meanwhile (a new token). On PostgreSQL a mark that ingest is marking again right now
    (locked) is skipped, never waited for: it gets a new token anyway. So the worker never waits
    on ingest, and ingest waits on the worker only from here to the commit."""
    if not marks:
        return
    if connection.vendor != "postgresql":
        _clear(marks)
        return
    table = DirtyMark._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT m.id FROM {table} m"  # noqa: S608 - our table
            " JOIN jsonb_to_recordset(%s::jsonb) AS done(id bigint, token uuid)"
            " ON m.id = done.id AND m.token = done.token FOR UPDATE OF m SKIP LOCKED)",
            [json.dumps([{"id": pk, "token": str(token)} for pk, token in marks])],
        )


def finish_clock_changes(organisation) -> None:
    """A change of time zone is done once every row is restamped and no mark set by then is
    left: the figures are on the new clock. Marks set later (new rows) do not hold it up.
    Checked in the recomputation's transaction, so it finishes with the marks' removal."""
    restamped = list(
        ClockChange.objects.filter(organisation=organisation, restamped_at__isnull=False)
        .unfinished()
        .values_list("pk", "restamped_at")
    )
    for change_id, restamped_at in restamped:  # read before the marks: none can slip between
        marks = DirtyMark.objects.filter(organisation=organisation, marked_at__lte=restamped_at)
        if not marks.exists():
            ClockChange(pk=change_id, organisation=organisation).finish()


def _period_count(team_days) -> int:
    """How many periods the marked (team, day) pairs make stale, for the team and overall."""
    days = set(team_days)
    scopes = days | {(None, day) for _team, day in days}
    return len({(s, k, clock.period_start(d, k)) for s, d in scopes for k in clock.KINDS})


def _update(organisation, response_days, interaction_days) -> None:
    """Recount the marked team-days and the days whose customers' flags may have changed, then
    the organisation's days, then every week, month and quarter holding any of them."""
    # 1. What the raw rows say now. New visits change the customers of their own team-day and,
    # at the team and overall, of the same customers' next visit.
    team_next, whole_next = counting.next_visits(organisation, interaction_days)
    flag_team_days = interaction_days | team_next
    flag_days = {day for _team, day in flag_team_days} | whole_next
    responses, themes = counting.count_responses(organisation, response_days)
    invitations = counting.count_invitations(organisation, response_days)
    interactions = counting.count_interactions(organisation, interaction_days)
    team_flags, whole_flags = counting.flag_customers(organisation, flag_days)
    # 2. The customers of those days: the teams' that may have changed, and the organisation's.
    dailies = {key: team_flags.get(key, NO_CUSTOMERS) for key in flag_team_days}
    dailies |= {(None, day): whole_flags.get(day, NO_CUSTOMERS) for day in flag_days}
    store.replace(DailyCustomers, organisation, dailies, day_field="day")
    team_days = response_days | flag_team_days
    # 3. The teams' days: as stored, with what was recounted put in.
    counts = _stored_day_counts(organisation, None, team_days=team_days)
    for key in response_days:
        counts[key] |= responses.get(key, dict.fromkeys(counting.RESPONSE_FIELDS, 0))
        counts[key] |= invitations.get(key, dict.fromkeys(counting.INVITATION_FIELDS, 0))
    for key in interaction_days:
        counts[key] |= interactions.get(key, dict.fromkeys(counting.INTERACTION_FIELDS, 0))
    teams = {team for team, _day in team_days}
    team_dailies = _stored_dailies(organisation, teams, days={d for _t, d in team_days})
    store.replace(Rollup, organisation, _as_day_keys(_day_rows(counts, team_dailies, team_days)))
    store.replace_themes(
        organisation,
        {(team, clock.DAY, day): themes.get((team, day), {}) for team, day in response_days},
    )
    # 4. The organisation's days, from all its teams' days.
    whole_days = {day for _team, day in team_days} | flag_days
    every_team = _stored_day_counts(organisation, ALL_TEAMS, days=whole_days)
    whole_dailies = _stored_dailies(organisation, {None}, days=whole_days)
    whole = _day_rows(every_team, whole_dailies, {(None, day) for day in whole_days})
    store.replace(Rollup, organisation, _as_day_keys(whole))
    themed_days = {day for _team, day in response_days}
    if themed_days:
        by_day = defaultdict(list)
        for (_team, day), found in _stored_day_themes(
            organisation, ALL_TEAMS, days=themed_days
        ).items():
            by_day[day].append(found)
        store.replace_themes(
            organisation,
            {(None, clock.DAY, day): add_up_themes(by_day[day]) for day in themed_days},
        )
    # 5. Every longer period holding a changed day, added up from all its days.
    changed = team_days | {(None, day) for day in whole_days}
    _recompute_periods(
        organisation,
        {(s, k, clock.period_start(d, k)) for s, d in changed for k in LONGER},
        themes=bool(response_days),
    )


def _recompute_periods(organisation, wanted, *, themes=True) -> None:
    """Add up the wanted (scope, kind, start) periods from their stored days (their themes too,
    unless only interactions changed)."""
    if not wanted:
        return
    scopes = {scope for scope, _k, _s in wanted}
    first = min(start for _s, _k, start in wanted)
    span = (first, max(clock.next_start(start, kind) for _s, kind, start in wanted))
    days = _stored_day_counts(organisation, scopes, span=span)
    dailies = _stored_dailies(organisation, scopes, span=span)
    day_themes = _stored_day_themes(organisation, scopes, span=span) if themes else {}
    periods, period_themes = _periods(days, dailies, day_themes, wanted)
    empty = dict.fromkeys(COUNT_FIELDS, 0)
    store.replace(Rollup, organisation, {key: periods.get(key, empty) for key in wanted})
    if themes:
        store.replace_themes(organisation, {key: period_themes.get(key, {}) for key in wanted})


ALL_TEAMS = "all teams"


def _where(scopes, field, days=None, span=None) -> Q:
    """Rows of ``scopes`` (team ids and/or None for the organisation, or ALL_TEAMS) on the
    given ``days``, or in ``span`` = [first, until)."""
    if scopes == ALL_TEAMS:
        in_scope = Q(team__isnull=False)
    else:
        in_scope = Q(team_id__in={scope for scope in scopes if scope is not None})
        if None in scopes:
            in_scope |= Q(team__isnull=True)
    if days is not None:
        return in_scope & Q(**{f"{field}__in": days})
    return in_scope & Q(**{f"{field}__gte": span[0], f"{field}__lt": span[1]})


def _team_days_where(team_days, field) -> Q:
    """A superset of the given (team, day) pairs' rows; the callers narrow it down."""
    return _where({team for team, _day in team_days}, field, days={d for _t, d in team_days})


def _stored_day_counts(organisation, scopes, *, team_days=None, **which) -> dict:
    """{(scope, day): counts} of stored day rows; for ``team_days`` exactly those (zero where
    none is stored)."""
    where = (
        _team_days_where(team_days, "period_start")
        if team_days
        else _where(scopes, "period_start", **which)
    )
    rows = Rollup.objects.filter(where, organisation=organisation, kind=clock.DAY).values_list(
        "team_id", "period_start", *COUNT_FIELDS
    )
    found = {
        (team, day): dict(zip(COUNT_FIELDS, values, strict=True)) for team, day, *values in rows
    }
    if team_days is not None:
        found = {key: found.get(key, dict.fromkeys(COUNT_FIELDS, 0)) for key in team_days}
    return defaultdict(dict, found)


def _stored_dailies(organisation, scopes, **which) -> dict:
    rows = DailyCustomers.objects.filter(
        _where(scopes, "day", **which), organisation=organisation
    ).values_list("team_id", "day", *DAILY_FIELDS)
    return {
        (team, day): dict(zip(DAILY_FIELDS, values, strict=True)) for team, day, *values in rows
    }


def _stored_day_themes(organisation, scopes, **which) -> dict:
    rows = ThemeRollup.objects.filter(
        _where(scopes, "period_start", **which), organisation=organisation, kind=clock.DAY
    ).values_list("team_id", "period_start", "theme_id", "mentions", "detractor_mentions")
    found = {}
    for team, day, theme, mentions, detractors in rows:
        found.setdefault((team, day), {})[theme] = (mentions, detractors)
    return found


@conflicts.retried
def recompute(organisation, team_id, kind, start) -> None:
    """Recompute one scope's period: a team's day from the raw rows, the organisation's day
    from its teams' days, a longer period from its days."""
    with transaction.atomic():
        lock(organisation)
        if kind != clock.DAY:
            _recompute_periods(organisation, {(team_id, kind, start)})
            return
        key = (team_id, start)
        dailies = _stored_dailies(organisation, {team_id}, days={start})
        if team_id is None:
            counts = _stored_day_counts(organisation, ALL_TEAMS, days={start})
        else:
            responses, themes = counting.count_responses(organisation, {key})
            interactions = counting.count_interactions(organisation, {key})
            invitations = counting.count_invitations(organisation, {key})
            counts = {
                key: responses.get(key, {}) | interactions.get(key, {}) | invitations.get(key, {})
            }
            store.replace_themes(organisation, {(team_id, clock.DAY, start): themes.get(key, {})})
        store.replace(Rollup, organisation, _as_day_keys(_day_rows(counts, dailies, {key})))
