"""Bringing the rollups up to date after a batch of marks on PostgreSQL, set-based: the raw rows
are counted by ``kpis.counting`` (the one definition, as in a rebuild), then each kind of row —
the days' customers, the teams' days and their themes, the organisation's days and themes, and
every week, month and quarter holding a changed day — is written in one statement that adds
up what is stored (``store.write_counts_sql``). So a batch costs the same few statements whether
it touches one team-day or a hundred, with every theme; SQLite takes ``rollups._update``, which
adds up the same rows in Python.
"""

import json

from django.db import connection

from kpis import counting, store
from kpis.counting import ADDED_FIELDS, DAILY_FIELDS, DAILY_OF_KIND
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from organisations import clock
from organisations.models import Team

ROLLUP = Rollup._meta.db_table
DAILY = DailyCustomers._meta.db_table
THEMES = ThemeRollup._meta.db_table
COUNTED = (*ADDED_FIELDS, "customers", "returning_customers")
RECOUNTED = {  # a team-day's fields that its raw rows give, by the kind of its mark
    "responses": counting.RESPONSE_FIELDS + counting.INVITATION_FIELDS,
    "interactions": counting.INTERACTION_FIELDS,
}


RECORDS = "jsonb_to_recordset(%({alias})s::jsonb) AS {alias}({described})"
SELECT_ALL = "SELECT * FROM {records}"


def _records(alias, columns) -> str:
    """A table of the JSON array given as %(alias)s, with the columns' types."""
    described = ", ".join(f"{name} {kind}" for name, kind in columns)
    return RECORDS.format(alias=alias, described=described)


def _all(alias, columns) -> str:
    return SELECT_ALL.format(records=_records(alias, columns))


def _json(rows) -> str:
    return json.dumps(rows, default=str)


def _run(sql, **params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Every stored row is found through an index, one key at a time (LATERAL, with OFFSET 0 so
# that the planner keeps it so): a batch's keys are few, and PostgreSQL, which cannot know how
# many a JSON array holds, would otherwise join them with every row of the organisation.

# The teams' days: what was recounted from the raw rows, the rest as stored; customers from
# the days' customers (written just before).
TEAM_DAYS = """
SELECT i.team_id, 'day' AS kind, i.day AS period_start, {fields},
       coalesce(d.customers, 0) AS customers,
       coalesce(d.returning_customers, 0) AS returning_customers
FROM {records}
LEFT JOIN LATERAL (
    SELECT * FROM {rollup} s
    WHERE s.team_id = i.team_id AND s.kind = 'day' AND s.period_start = i.day OFFSET 0) s ON true
LEFT JOIN LATERAL (
    SELECT * FROM {daily} d WHERE d.team_id = i.team_id AND d.day = i.day OFFSET 0) d ON true
"""
# The organisation's days, from all its teams' days and its own customers.
WHOLE_DAYS = """
SELECT NULL::bigint AS team_id, 'day' AS kind, w.day AS period_start, {sums},
       coalesce(d.customers, 0) AS customers,
       coalesce(d.returning_customers, 0) AS returning_customers
FROM {records}
CROSS JOIN LATERAL (
    SELECT {day_sums} FROM {rollup} r
    WHERE r.organisation_id = %(org)s AND r.kind = 'day' AND r.period_start = w.day
      AND r.team_id IS NOT NULL OFFSET 0) r
LEFT JOIN LATERAL (
    SELECT * FROM {daily} d
    WHERE d.organisation_id = %(org)s AND d.team_id IS NULL AND d.day = w.day OFFSET 0) d ON true
"""
# Every wanted week, month or quarter, added up from its days (``counting.add_up``'s sums): the
# counts of its day rows, and the customers whose first day in it each day holds.
PERIODS = """
SELECT p.team_id, p.kind, p.period_start, {sums}, {customers}
FROM {records}
CROSS JOIN LATERAL (SELECT {day_sums} FROM ({day_rows}) r) r
CROSS JOIN LATERAL (SELECT {daily_sums} FROM ({daily_rows}) d) d
"""
DAY_ROWS = """
    SELECT * FROM {rollup} r
    WHERE r.organisation_id = %(org)s AND {scope} AND r.kind = 'day'
      AND r.period_start >= p.period_start AND r.period_start < p.until"""
DAILY_ROWS = """
    SELECT * FROM {daily} d
    WHERE d.organisation_id = %(org)s AND {scope}
      AND d.day >= p.period_start AND d.day < p.until"""
# Themes of the organisation's days from its teams' days (team by team, through the index),
# and of periods from their days.
WHOLE_DAY_THEMES = """
SELECT NULL::bigint AS team_id, 'day' AS kind, p.period_start, t.theme_id,
       sum(t.mentions)::integer AS mentions,
       sum(t.detractor_mentions)::integer AS detractor_mentions
FROM periods p
CROSS JOIN {teams} team
CROSS JOIN LATERAL (
    SELECT * FROM {themes} t
    WHERE t.organisation_id = %(org)s AND t.team_id = team.id AND t.kind = 'day'
      AND t.period_start = p.period_start OFFSET 0) t
WHERE team.organisation_id = %(org)s
GROUP BY p.period_start, t.theme_id
"""
PERIOD_THEMES = """
SELECT p.team_id, p.kind, p.period_start, t.theme_id,
       sum(t.mentions)::integer AS mentions,
       sum(t.detractor_mentions)::integer AS detractor_mentions
FROM periods p
CROSS JOIN LATERAL ({theme_rows}) t
GROUP BY p.team_id, p.kind, p.period_start, t.theme_id
"""
THEME_ROWS = """
    SELECT * FROM {themes} t
    WHERE t.organisation_id = %(org)s AND {scope} AND t.kind = 'day'
      AND t.period_start >= p.period_start AND t.period_start < p.until"""
PERIOD_KEYS = [("team_id", "bigint"), ("kind", "text"), ("period_start", "date")]


def update(organisation, response_days, interaction_days) -> None:
    """Recount the marked team-days (``response_days``: responses and invitations;
    ``interaction_days``: interactions, and customers) and write every row they change."""
    org = organisation.pk
    # 1. What the raw rows say now (kpis.counting, as rollups._update): new visits change
    # the customers of their own team-day and of the same customers' next visits.
    team_next, whole_next = counting.next_visits(organisation, interaction_days)
    flag_team_days = interaction_days | team_next
    flag_days = {day for _team, day in flag_team_days} | whole_next
    responses, themes, invitations = {}, {}, {}
    if response_days:
        responses, themes = counting.count_responses(organisation, response_days)
        invitations = counting.count_invitations(organisation, response_days)
    interactions = (
        counting.count_interactions(organisation, interaction_days) if interaction_days else {}
    )
    team_flags, whole_flags = counting.flag_customers(organisation, flag_days)

    # 2. The days' customers, of the teams and of the organisation.
    if flag_days:
        zero = dict.fromkeys(DAILY_FIELDS, 0)
        rows = [
            {"team_id": team, "day": day, **team_flags.get((team, day), zero)}
            for team, day in flag_team_days
        ]
        rows += [{"team_id": None, "day": day, **whole_flags.get(day, zero)} for day in flag_days]
        columns = [("team_id", "bigint"), ("day", "date")]
        columns += [(name, "integer") for name in DAILY_FIELDS]
        computed = _all("c", columns)
        _run(
            store.write_counts_sql(DailyCustomers, computed, DAILY_FIELDS, "day"),
            org=org,
            c=_json(rows),
        )

    # 3. The teams' days.
    team_days = response_days | flag_team_days
    rows = []
    for team, day in sorted(team_days, key=str):
        row = {"team_id": team, "day": day}
        row["responses_recounted"] = (team, day) in response_days
        row["interactions_recounted"] = (team, day) in interaction_days
        row |= dict.fromkeys(ADDED_FIELDS, 0)
        row |= responses.get((team, day), {}) | invitations.get((team, day), {})
        row |= interactions.get((team, day), {})
        rows.append(row)
    fields = []
    for kind, names in RECOUNTED.items():
        fields += [
            f"CASE WHEN i.{kind}_recounted THEN i.{name} ELSE coalesce(s.{name}, 0) END AS {name}"
            for name in names
        ]
    columns = [("team_id", "bigint"), ("day", "date")]
    columns += [(f"{kind}_recounted", "boolean") for kind in RECOUNTED]
    columns += [(name, "integer") for name in ADDED_FIELDS]
    computed = TEAM_DAYS.format(
        fields=", ".join(fields), records=_records("i", columns), rollup=ROLLUP, daily=DAILY
    )
    _run(store.write_counts_sql(Rollup, computed, COUNTED), org=org, i=_json(rows))
    if response_days:
        periods = [
            {"team_id": team, "kind": clock.DAY, "period_start": day} for team, day in response_days
        ]
        found = [
            {
                "team_id": team,
                "kind": clock.DAY,
                "period_start": day,
                "theme_id": theme,
                "mentions": mentions,
                "detractor_mentions": detractors,
            }
            for (team, day), counted in themes.items()
            for theme, (mentions, detractors) in counted.items()
        ]
        columns = [*PERIOD_KEYS, ("theme_id", "bigint")]
        columns += [("mentions", "integer"), ("detractor_mentions", "integer")]
        _run(
            store.write_themes_sql(
                _all("p", PERIOD_KEYS),
                _all("c", columns),
            ),
            org=org,
            p=_json(periods),
            c=_json(found),
        )

    # 4. The organisation's days, from all its teams' days.
    whole_days = {day for _team, day in team_days} | flag_days
    computed = WHOLE_DAYS.format(
        sums=", ".join(f"coalesce(r.{name}, 0)::integer AS {name}" for name in ADDED_FIELDS),
        day_sums=", ".join(f"sum(r.{name}) AS {name}" for name in ADDED_FIELDS),
        records=_records("w", [("day", "date")]),
        rollup=ROLLUP,
        daily=DAILY,
    )
    _run(
        store.write_counts_sql(Rollup, computed, COUNTED),
        org=org,
        w=_json([{"day": day} for day in whole_days]),
    )
    themed_days = sorted({day for _team, day in response_days})
    if themed_days:
        periods = [{"team_id": None, "kind": clock.DAY, "period_start": day} for day in themed_days]
        _run(
            store.write_themes_sql(
                _all("p", PERIOD_KEYS),
                WHOLE_DAY_THEMES.format(themes=THEMES, teams=Team._meta.db_table),
            ),
            org=org,
            p=_json(periods),
        )

    # 5. Every longer period holding a changed day, added up from all its days.
    changed = team_days | {(None, day) for day in whole_days}
    wanted = {
        (scope, kind, clock.period_start(day, kind))
        for scope, day in changed
        for kind in clock.KINDS[1:]
    }
    periods = [
        {
            "team_id": scope,
            "kind": kind,
            "period_start": start,
            "until": clock.next_start(start, kind),
        }
        for scope, kind, start in sorted(wanted, key=str)
    ]
    columns = [*PERIOD_KEYS, ("until", "date")]
    customers = []
    for position, name in enumerate(("customers", "returning_customers")):
        cases = " ".join(
            f"WHEN '{kind}' THEN d.{DAILY_OF_KIND[kind][position]}" for kind in clock.KINDS[1:]
        )
        customers.append(f"coalesce(CASE p.kind {cases} END, 0)::integer AS {name}")
    daily_names = [name for kind in clock.KINDS[1:] for name in DAILY_OF_KIND[kind]]
    computed = PERIODS.format(
        sums=", ".join(f"coalesce(r.{name}, 0)::integer AS {name}" for name in ADDED_FIELDS),
        customers=", ".join(customers),
        records=_records("p", columns),
        day_sums=", ".join(f"sum(r.{name}) AS {name}" for name in ADDED_FIELDS),
        daily_sums=", ".join(f"sum(d.{name}) AS {name}" for name in daily_names),
        day_rows=store.either_scope(DAY_ROWS.format(rollup=ROLLUP, scope="{scope}"), "r", "p"),
        daily_rows=store.either_scope(DAILY_ROWS.format(daily=DAILY, scope="{scope}"), "d", "p"),
    )
    _run(store.write_counts_sql(Rollup, computed, COUNTED), org=org, p=_json(periods))
    if response_days:
        _run(
            store.write_themes_sql(
                _all("p", columns),
                PERIOD_THEMES.format(
                    theme_rows=store.either_scope(
                        THEME_ROWS.format(themes=THEMES, scope="{scope}"), "t", "p"
                    )
                ),
            ),
            org=org,
            p=_json(periods),
        )
