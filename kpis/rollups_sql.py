"""A whole organisation's rollups in three set-based queries, for PostgreSQL.

The same counts as ``rollups.compute`` gives period by period and ``rollups.compute_all`` in
Python (tests hold the three against each other). Every query groups by team and local day
only, the cheapest grouping there is; weeks, months, quarters and the whole organisation are
sums of those day rows, added up here. That works for distinct and returning customers too,
because each customer's visits are flagged where they count: a customer is counted in a period
on their first visit day in it, and is returning there if they had a visit on an earlier day.
"""

from django.db import connection

from kpis.metrics import DETRACTOR_MAX, PROMOTER_MIN
from organisations import clock

LOCAL_DAY = "(%s AT TIME ZONE %%(tz)s)::date"

RESPONSES = f"""
SELECT team_id, {LOCAL_DAY % "submitted_at"} AS day,
       count(score),
       count(*) FILTER (WHERE score >= %(promoter_min)s),
       count(*) FILTER (WHERE score > %(detractor_max)s AND score < %(promoter_min)s),
       count(*) FILTER (WHERE score <= %(detractor_max)s),
       count(*) FILTER (WHERE comment <> '')
FROM feedback_response WHERE organisation_id = %(org)s
GROUP BY 1, 2
"""  # noqa: S608 - constant fragments; the values are parameters

THEMES = f"""
SELECT r.team_id, {LOCAL_DAY % "r.submitted_at"} AS day, t.theme_id,
       count(*),
       count(*) FILTER (WHERE r.score <= %(detractor_max)s)
FROM feedback_response_themes t JOIN feedback_response r ON r.id = t.response_id
WHERE r.organisation_id = %(org)s
GROUP BY 1, 2, 3
"""  # noqa: S608 - constant fragments; the values are parameters

# One pass over the interactions, sorted by customer: the distinct visits (customer, day,
# team), and for each the days since the customer's previous visit to that team (team_gap)
# and to any team (any_gap). NULL: no earlier visit; capped at 92, longer than any quarter,
# so the groups stay few. A visit counts among a period's customers if it is the first in
# that period (no previous visit, or one before the period began) and among its returning
# customers if the previous visit was before the period began: both are decided by the gap
# and how far into its period the day lies. Served before a period began <=> served on an
# earlier local day, since periods start at local midnight: whole days, never timestamps.
# For the whole organisation only the first team of a customer's day counts (any_gap > 0).
INTERACTIONS = f"""
WITH visits AS (
    SELECT customer_hash COLLATE "C" AS customer, {LOCAL_DAY % "occurred_at"} AS day, team_id,
           count(*) AS interactions, count(*) FILTER (WHERE is_error) AS errors
    FROM feedback_interaction WHERE organisation_id = %(org)s
    GROUP BY 1, 2, 3
),
gaps AS (
    SELECT team_id, day, interactions, errors, customer <> '' AS known,
           day - lag(day) OVER (PARTITION BY customer, team_id ORDER BY day) AS team_gap,
           day - lag(day) OVER (PARTITION BY customer ORDER BY day, team_id) AS any_gap
    FROM visits
),
grouped AS (
    SELECT team_id, day, known,
           CASE WHEN team_gap > 92 THEN 92 ELSE team_gap END AS team_gap,
           CASE WHEN any_gap > 92 THEN 92 ELSE any_gap END AS any_gap,
           count(*) AS visits, sum(interactions) AS interactions, sum(errors) AS errors
    FROM gaps GROUP BY 1, 2, 3, 4, 5
)
SELECT team_id, day, sum(interactions), sum(errors),
       {{flags}}
FROM (SELECT *,
             day - extract(isodow FROM day)::int + 1 AS week,
             day - extract(day FROM day)::int + 1 AS month,
             date_trunc('quarter', day::timestamp)::date AS quarter
      FROM grouped) g
GROUP BY 1, 2
"""  # noqa: S608 - constant fragments; the values are parameters

CUSTOMER_FIELDS = ("customers", "returning_customers")
PERIOD_COLUMNS = {clock.DAY: "day", clock.WEEK: "week", clock.MONTH: "month"}
PERIOD_COLUMNS[clock.QUARTER] = "quarter"


def _flags():
    """(customers, returning) per kind, for the team and then for the whole organisation."""
    columns = []
    # For the whole organisation, only the first of a customer's teams that day counts.
    scopes = (("team_gap", "known"), ("any_gap", "known AND any_gap IS DISTINCT FROM 0"))
    for scope_gap, first in scopes:
        for kind in clock.KINDS:
            offset = f"(day - {PERIOD_COLUMNS[kind]})"
            columns.append(
                f"coalesce(sum(visits) FILTER (WHERE {first} AND "
                f"({scope_gap} IS NULL OR {scope_gap} > {offset})), 0)"
            )
            columns.append(
                f"coalesce(sum(visits) FILTER (WHERE {first} AND {scope_gap} > {offset}), 0)"
            )
    return ",\n       ".join(columns)


INTERACTIONS = INTERACTIONS.replace("{flags}", _flags())

# Enough memory that the sorts and hash tables of a large organisation stay off the disk;
# for this transaction only.
WORK_MEM = "1GB"


def compute_all(organisation):
    """As ``rollups.compute_all``: ({key: counts}, {key: {theme id: (mentions, detr.)}},
    {(team id or None, day): DailyCustomers counts})."""
    from kpis.rollups import COUNT_FIELDS, DAILY_FIELDS

    params = {
        "org": organisation.pk,
        "tz": organisation.time_zone,
        "promoter_min": PROMOTER_MIN,
        "detractor_max": DETRACTOR_MAX,
    }
    counts, themes, daily = {}, {}, {}
    starts = {}  # day -> [(kind, start)], memoised

    def keys(team_id, day):
        if day not in starts:
            starts[day] = [(kind, clock.period_start(day, kind)) for kind in clock.KINDS]
        for kind, start in starts[day]:
            yield kind, (team_id, kind, start), (None, kind, start)

    def add(key, values):
        row = counts.get(key)
        if row is None:
            row = counts[key] = dict.fromkeys(COUNT_FIELDS, 0)
        for name, value in values:
            row[name] += value

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        cursor.execute(RESPONSES, params)
        for team_id, day, *values in cursor.fetchall():
            pairs = list(zip(COUNT_FIELDS[:5], values, strict=True))
            for _kind, team_key, whole_key in keys(team_id, day):
                add(team_key, pairs)
                add(whole_key, pairs)
        cursor.execute(INTERACTIONS, params)
        for team_id, day, interactions, errors, *flags in cursor.fetchall():
            daily[(team_id, day)] = dict(zip(DAILY_FIELDS, flags[:8], strict=True))
            whole = daily.setdefault((None, day), dict.fromkeys(DAILY_FIELDS, 0))
            for name, value in zip(DAILY_FIELDS, flags[8:], strict=True):
                whole[name] += value
            pairs = [("interactions", interactions), ("errors", errors)]
            for number, (_kind, team_key, whole_key) in enumerate(keys(team_id, day)):
                # Each kind's (customers, returning customers): team, then organisation.
                team_flags = flags[2 * number : 2 * number + 2]
                whole_flags = flags[8 + 2 * number : 8 + 2 * number + 2]
                add(team_key, [*pairs, *zip(CUSTOMER_FIELDS, team_flags, strict=True)])
                add(whole_key, [*pairs, *zip(CUSTOMER_FIELDS, whole_flags, strict=True)])
        cursor.execute(THEMES, params)
        for team_id, day, theme_id, mentions, detractors in cursor.fetchall():
            for _kind, team_key, whole_key in keys(team_id, day):
                for key in (team_key, whole_key):
                    found = themes.setdefault(key, {})
                    m, d = found.get(theme_id, (0, 0))
                    found[theme_id] = (m + mentions, d + detractors)
    return counts, themes, daily
