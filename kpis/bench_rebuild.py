"""The baseline the rollup rebuild is timed against (``manage.py bench``): the same figures from
the same raw rows, written by hand in the fewest plain SQL statements, into scratch tables
shaped like the real ones. PostgreSQL only.

``rollups.rebuild`` counts each team's local days from the raw rows and adds weeks, months,
quarters and the whole organisation up from those days, in Python, with distinct and returning
customers from each visit's previous visit (``kpis/counting.py``). The baseline does all of it
in the database, in one transaction of eight statements:

1-3. ``DELETE`` the organisation's rows from the three scratch tables, as the rebuild deletes
   its rows from the real ones before it writes (so both start from the previous run's rows).

4-6. ``DAILY``: DailyCustomers. The visits are the distinct (customer, local day, team) of the
   interactions with a customer; two window functions give each visit the day of the
   customer's previous visit at the same team (``team_before``) and at any team
   (``any_before``, ordered by day and team, so that a second team on the same day has that
   day as its visit before). One ``GROUP BY team_id, day`` then counts, for each kind of
   period, the visits that are the customer's first in that period (no visit before, or only
   before the period began) and those of them returning (a visit before the period began):
   for the team by ``team_before``, for the organisation by ``any_before``. Statement 4 keeps
   those counts in a temporary table (``CREATE TEMPORARY TABLE ... AS``, which PostgreSQL may
   run with parallel workers, as it does the rebuild's SELECT of the same; an ``INSERT ...
   SELECT`` never gets them); statement 5 inserts the teams' rows and the organisation's, summed
   over its teams per day; statement 6 drops the temporary table. Days with no visits get no
   row; the rebuild stores no all-zero row either.

7. ``ROLLUPS``: Rollup. One ``GROUP BY`` per raw table by team and local day (responses with
   their score bands and comments, interactions and errors, counted invitations and the
   answered ones) plus the scratch DailyCustomers rows, all ``UNION ALL``-ed into one set of
   per-team-day rows; each row is repeated for the four kinds with its period's start
   (``date_trunc``), and ``GROUP BY GROUPING SETS ((kind, start, team_id), (kind, start))``
   adds them up per team and for the organisation. Customers do not add up across teams: a
   team's come from its own DailyCustomers rows, the organisation's from the organisation's
   rows (team NULL), each in a column of its own, picked by ``GROUPING(team_id)``; the group
   of the organisation's DailyCustomers rows under team NULL is dropped in ``HAVING``, as is
   any row whose counts are all zero.

8. ``THEMES``: ThemeRollup. The theme links joined to their responses, grouped by team, local
   day and theme (mentions, and those among detractors), repeated for the four kinds and added
   up with ``GROUPING SETS ((kind, start, theme_id, team_id), (kind, start, theme_id))``.

The per-team-day rows are few (teams × days) next to the raw rows, so the statements spend
their time where the rebuild does: one pass over each raw table, two orderings of the visits.
Session settings: neither side sets any. ``rollups.rebuild`` (``kpis/rollups.py``,
``kpis/counting.py``, ``kpis/store.py``) runs no ``SET`` (its lock and version bump are two
small statements the baseline leaves out), the settings' DATABASES have no ``OPTIONS``, and both
use the same Django connection; the baseline's ``SET CONSTRAINTS ALL IMMEDIATE`` is only in
``drop_scratch_tables``, after the timing. So both run with the server's ``work_mem``,
``max_parallel_workers_per_gather`` and the rest as they are; if either ever sets one, both must,
and the bench must say so. Statements 7
and 8 are ``INSERT ... SELECT``s, which PostgreSQL (15) runs without parallel workers while the
rebuild's SELECTs of the same counts may get them; their raw ``GROUP BY``s are about a tenth of
the time (the bare GROUP BYs below: 1.0-1.3 s of 15-18 s at a million responses), the visits of
statement 4 most of the rest.
Kept beside it: the bare ``GROUP BY`` per raw table that both build on (``BARE_GROUP_BYS``).
"""

import time

from django.db import connection, transaction

from feedback.models import Interaction, Invitation, Response, Theme
from kpis.metrics import DETRACTOR_MAX, PROMOTER_MIN
from kpis.models import DailyCustomers, Rollup, ThemeRollup

SCRATCH = {
    "bench_rollup": Rollup,
    "bench_theme_rollup": ThemeRollup,
    "bench_daily_customers": DailyCustomers,
}
# The foreign keys of the real tables, which LIKE ... INCLUDING ALL does not copy and whose
# checks are part of what writing a row costs.
FOREIGN_KEYS = {
    "bench_rollup": [
        ("organisation_id", "organisations_organisation"),
        ("team_id", "organisations_team"),
    ],
    "bench_theme_rollup": [
        ("organisation_id", "organisations_organisation"),
        ("team_id", "organisations_team"),
        ("theme_id", Theme._meta.db_table),
    ],
    "bench_daily_customers": [
        ("organisation_id", "organisations_organisation"),
        ("team_id", "organisations_team"),
    ],
}

KINDS = "(VALUES ('day'), ('week'), ('month'), ('quarter')) AS kinds (kind)"
# DailyCustomers' columns: for the day, week, month and quarter, the customers whose first day
# in it this is, and those of them returning there.
DAILY_PAIRS = (
    ("customers", "returning_customers"),
    ("first_in_week", "returning_in_week"),
    ("first_in_month", "returning_in_month"),
    ("first_in_quarter", "returning_in_quarter"),
)


def _daily_sql() -> tuple[str, str, str]:
    """Statements 4-6: DailyCustomers from the visits."""
    team_flags, whole_flags, sums = [], [], []
    for column, (first, returning) in zip(
        ("day", "week_start", "month_start", "quarter_start"), DAILY_PAIRS, strict=True
    ):
        for name, test in ((first, "{b} IS NULL OR {b} < {s}"), (returning, "{b} < {s}")):
            team = test.format(b="team_before", s=column)
            whole = test.format(b="any_before", s=column)
            team_flags.append(f"count(*) FILTER (WHERE {team}) AS team_{name}")
            whole_flags.append(f"count(*) FILTER (WHERE {whole}) AS whole_{name}")
            sums.append(f"sum(whole_{name})")
    names = [field for pair in DAILY_PAIRS for field in pair]
    return (
        f"""
CREATE TEMPORARY TABLE bench_visit_flags AS
SELECT team_id, day, {", ".join(team_flags + whole_flags)}
FROM (SELECT team_id, day,
             lag(day) OVER (PARTITION BY customer, team_id ORDER BY day) AS team_before,
             lag(day) OVER (PARTITION BY customer ORDER BY day, team_id) AS any_before,
             date_trunc('week', day)::date AS week_start,
             date_trunc('month', day)::date AS month_start,
             date_trunc('quarter', day)::date AS quarter_start
      FROM (SELECT DISTINCT customer_hash AS customer, local_day AS day, team_id
            FROM {Interaction._meta.db_table}
            WHERE organisation_id = %(org)s AND customer_hash <> '') AS distinct_visits
     ) AS visits
GROUP BY team_id, day
""",  # noqa: S608 - our tables and fixed names; the organisation is a parameter
        f"""
INSERT INTO bench_daily_customers (organisation_id, team_id, day, {", ".join(names)})
SELECT %(org)s, team_id, day, {", ".join(f"team_{name}" for name in names)}
FROM bench_visit_flags
UNION ALL
SELECT %(org)s, NULL, day, {", ".join(sums)} FROM bench_visit_flags GROUP BY day
""",  # noqa: S608 - our tables and fixed names; the organisation is a parameter
        "DROP TABLE bench_visit_flags",
    )


ZEROS_R = "0, 0, 0, 0, 0"  # responses, promoters, passives, detractors, comments
ZEROS_I = "0, 0"  # interactions, errors; invitations, answered
# customers and returning customers of the day, week, month and quarter
ZEROS_C = "0, 0, 0, 0, 0, 0, 0, 0"

ROLLUPS = f"""
INSERT INTO bench_rollup (organisation_id, team_id, kind, period_start, responses, promoters,
                          passives, detractors, comments, interactions, errors, customers,
                          returning_customers, invitations, answered, updated_at)
WITH team_days AS (
    SELECT team_id, local_day AS day, count(score), count(*) FILTER (WHERE score >= {PROMOTER_MIN}),
           count(*) FILTER (WHERE score > {DETRACTOR_MAX} AND score < {PROMOTER_MIN}),
           count(*) FILTER (WHERE score <= {DETRACTOR_MAX}), count(*) FILTER (WHERE comment <> ''),
           {ZEROS_I}, {ZEROS_I}, FALSE, {ZEROS_C}
    FROM {Response._meta.db_table} WHERE organisation_id = %(org)s GROUP BY 1, 2
    UNION ALL
    SELECT team_id, local_day, {ZEROS_R}, count(*), count(*) FILTER (WHERE is_error),
           {ZEROS_I}, FALSE, {ZEROS_C}
    FROM {Interaction._meta.db_table} WHERE organisation_id = %(org)s GROUP BY 1, 2
    UNION ALL
    SELECT team_id, local_day, {ZEROS_R}, {ZEROS_I}, count(*), count(answered_at), FALSE, {ZEROS_C}
    FROM {Invitation._meta.db_table}
    WHERE organisation_id = %(org)s AND local_day IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT team_id, day, {ZEROS_R}, {ZEROS_I}, {ZEROS_I}, team_id IS NULL,
           customers, returning_customers, first_in_week, returning_in_week,
           first_in_month, returning_in_month, first_in_quarter, returning_in_quarter
    FROM bench_daily_customers WHERE organisation_id = %(org)s
),
periods AS (
    SELECT d.team_id, kinds.kind, date_trunc(kinds.kind, d.day)::date AS start,
           d.responses, d.promoters, d.passives, d.detractors, d.comments, d.interactions,
           d.errors, d.invitations, d.answered,
           CASE kinds.kind WHEN 'day' THEN d.customers WHEN 'week' THEN d.first_in_week
                WHEN 'month' THEN d.first_in_month ELSE d.first_in_quarter END AS came,
           CASE kinds.kind WHEN 'day' THEN d.returning_customers
                WHEN 'week' THEN d.returning_in_week WHEN 'month' THEN d.returning_in_month
                ELSE d.returning_in_quarter END AS came_back,
           d.whole
    FROM team_days AS d (team_id, day, responses, promoters, passives, detractors, comments,
                         interactions, errors, invitations, answered, whole,
                         customers, returning_customers, first_in_week, returning_in_week,
                         first_in_month, returning_in_month, first_in_quarter,
                         returning_in_quarter)
    CROSS JOIN {KINDS}
),
added AS (
    SELECT CASE WHEN GROUPING(team_id) = 0 THEN team_id END AS team_id, kind, start,
           sum(responses) AS responses, sum(promoters) AS promoters, sum(passives) AS passives,
           sum(detractors) AS detractors, sum(comments) AS comments,
           sum(interactions) AS interactions, sum(errors) AS errors,
           CASE WHEN GROUPING(team_id) = 0 THEN sum(came) FILTER (WHERE NOT whole)
                ELSE sum(came) FILTER (WHERE whole) END AS customers,
           CASE WHEN GROUPING(team_id) = 0 THEN sum(came_back) FILTER (WHERE NOT whole)
                ELSE sum(came_back) FILTER (WHERE whole) END AS returning_customers,
           sum(invitations) AS invitations, sum(answered) AS answered
    FROM periods
    GROUP BY GROUPING SETS ((kind, start, team_id), (kind, start))
    HAVING GROUPING(team_id) = 1 OR team_id IS NOT NULL
)
SELECT %(org)s, team_id, kind, start, responses, promoters, passives, detractors, comments,
       interactions, errors, coalesce(customers, 0), coalesce(returning_customers, 0),
       invitations, answered, now()
FROM added
WHERE responses + comments + interactions + invitations + coalesce(customers, 0) > 0
"""  # noqa: S608 - our tables and constants; the organisation is a parameter

THEMES = f"""
INSERT INTO bench_theme_rollup (organisation_id, team_id, theme_id, kind, period_start, mentions,
                                detractor_mentions)
SELECT %(org)s, CASE WHEN GROUPING(team_id) = 0 THEN team_id END, theme_id, kind, start,
       sum(mentions), sum(detractor_mentions)
FROM (SELECT d.team_id, d.theme_id, kinds.kind, date_trunc(kinds.kind, d.day)::date AS start,
             d.mentions, d.detractor_mentions
      FROM (SELECT r.team_id, r.local_day AS day, l.theme_id, count(*) AS mentions,
                   count(*) FILTER (WHERE r.score <= {DETRACTOR_MAX}) AS detractor_mentions
            FROM {Response.themes.through._meta.db_table} AS l
            JOIN {Response._meta.db_table} AS r ON r.id = l.response_id
            WHERE r.organisation_id = %(org)s
            GROUP BY 1, 2, 3) AS d
      CROSS JOIN {KINDS}) AS periods
GROUP BY GROUPING SETS ((kind, start, theme_id, team_id), (kind, start, theme_id))
"""  # noqa: S608 - our tables and constants; the organisation is a parameter

DAILY = _daily_sql()
STATEMENTS = (
    *(f"DELETE FROM {name} WHERE organisation_id = %(org)s" for name in SCRATCH),  # noqa: S608
    *DAILY,
    ROLLUPS,
    THEMES,
)

# The second reference: one bare GROUP BY per raw table by team and stored local day, the
# grouping both the rebuild and the baseline start from (the visits' orderings aside).
BARE_GROUP_BYS = (
    f"""SELECT team_id, local_day, count(score), count(*) FILTER (WHERE score >= {PROMOTER_MIN}),
           count(*) FILTER (WHERE score <= {DETRACTOR_MAX}), count(*) FILTER (WHERE comment <> '')
    FROM {Response._meta.db_table} WHERE organisation_id = %(org)s GROUP BY 1, 2""",  # noqa: S608
    f"""SELECT team_id, local_day, count(*), count(*) FILTER (WHERE is_error)
    FROM {Interaction._meta.db_table} WHERE organisation_id = %(org)s GROUP BY 1, 2""",  # noqa: S608
    f"""SELECT team_id, local_day, count(*), count(answered_at) FROM {Invitation._meta.db_table}
    WHERE organisation_id = %(org)s AND local_day IS NOT NULL GROUP BY 1, 2""",  # noqa: S608
)


def create_scratch_tables() -> None:
    """The baseline's tables: the real ones' columns, defaults, indexes and unique constraints
    (LIKE ... INCLUDING ALL), plus their foreign keys."""
    with connection.cursor() as cursor:
        drop_scratch_tables()  # left behind by a run that was killed
        for name, model in SCRATCH.items():
            cursor.execute(f"CREATE TABLE {name} (LIKE {model._meta.db_table} INCLUDING ALL)")
            for column, target in FOREIGN_KEYS[name]:
                cursor.execute(
                    f"ALTER TABLE {name} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
                    "DEFERRABLE INITIALLY DEFERRED"
                )


def drop_scratch_tables() -> None:
    with connection.cursor() as cursor:
        # Inside a transaction (a test's), their deferred foreign key checks must run first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(SCRATCH)}")


def rebuild_by_hand(organisation) -> float:
    """Run the baseline's eight statements in one transaction, committed; returns the seconds."""
    params = {"org": organisation.pk}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in STATEMENTS:
            cursor.execute(statement, params)
    return time.perf_counter() - started


def bare_group_bys(organisation) -> float:
    """Run the bare GROUP BYs, reading every row they return; returns the seconds."""
    params = {"org": organisation.pk}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in BARE_GROUP_BYS:
            cursor.execute(statement, params)
            cursor.fetchall()
    return time.perf_counter() - started


def differences(organisation) -> dict:
    """{table: how many rows only the rebuild or only the baseline wrote}, compared on every
    column but the id and the time written: all zero when both wrote the same figures."""
    found = {}
    with connection.cursor() as cursor:
        for name, model in SCRATCH.items():
            columns = ", ".join(
                field.column
                for field in model._meta.concrete_fields
                if field.column not in ("id", "updated_at")
            )
            table = model._meta.db_table
            mine = f"SELECT {columns} FROM {name} WHERE organisation_id = %(org)s"  # noqa: S608
            real = f"SELECT {columns} FROM {table} WHERE organisation_id = %(org)s"  # noqa: S608
            only_real = f"SELECT count(*) FROM ({real} EXCEPT ALL {mine}) AS rows"  # noqa: S608
            only_mine = f"SELECT count(*) FROM ({mine} EXCEPT ALL {real}) AS rows"  # noqa: S608
            both = f"SELECT ({only_real}) + ({only_mine})"
            cursor.execute(both, {"org": organisation.pk})
            found[name] = cursor.fetchone()[0]
    return found
