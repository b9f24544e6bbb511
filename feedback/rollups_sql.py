"""A whole organisation's rollups in a few set-based queries, for PostgreSQL.

The same counts as ``rollups.compute`` gives period by period and ``rollups.compute_all`` in
Python (tests hold the three against each other): one scan per raw table, every period kind
and both scopes (team, whole organisation) at once with GROUPING SETS.
"""

from django.db import connection

from feedback import periods
from feedback.metrics import DETRACTOR_MAX, PROMOTER_MIN

# Local time, and the start of its day, ISO week, month and quarter.
LOCAL_PERIODS = """
    (moment AT TIME ZONE %(tz)s)::date AS d,
    date_trunc('week', moment AT TIME ZONE %(tz)s)::date AS w,
    date_trunc('month', moment AT TIME ZONE %(tz)s)::date AS m,
    date_trunc('quarter', moment AT TIME ZONE %(tz)s)::date AS q
"""
ALL_SETS = """
    GROUPING SETS ((team_id, d), (d), (team_id, w), (w), (team_id, m), (m), (team_id, q), (q))
"""

RESPONSES = f"""
SELECT team_id, d, w, m, q, GROUPING(team_id),
       count(score),
       count(*) FILTER (WHERE score >= %(promoter_min)s),
       count(*) FILTER (WHERE score > %(detractor_max)s AND score < %(promoter_min)s),
       count(*) FILTER (WHERE score <= %(detractor_max)s),
       count(*) FILTER (WHERE comment <> '')
FROM (SELECT team_id, score, comment, {LOCAL_PERIODS}
      FROM (SELECT team_id, score, comment, submitted_at AS moment
            FROM feedback_response WHERE organisation_id = %(org)s) raw) local
GROUP BY {ALL_SETS}
"""  # noqa: S608 - constant fragments; the values are parameters

INTERACTIONS = f"""
SELECT team_id, d, w, m, q, GROUPING(team_id),
       count(*),
       count(*) FILTER (WHERE is_error)
FROM (SELECT team_id, is_error, {LOCAL_PERIODS}
      FROM (SELECT team_id, is_error, occurred_at AS moment
            FROM feedback_interaction WHERE organisation_id = %(org)s) raw) local
GROUP BY {ALL_SETS}
"""  # noqa: S608 - constant fragments; the values are parameters

# Distinct customers per scope and period, and those served in that scope before it began.
CUSTOMERS = """
WITH day_visits AS (
    SELECT DISTINCT team_id, customer_hash, (occurred_at AT TIME ZONE %(tz)s)::date AS day
    FROM feedback_interaction
    WHERE organisation_id = %(org)s AND customer_hash <> ''
),
first_in_team AS (
    SELECT team_id, customer_hash, min(day) AS first_day FROM day_visits GROUP BY 1, 2
),
first_anywhere AS (
    SELECT customer_hash, min(first_day) AS first_day FROM first_in_team GROUP BY 1
),
visits AS (
    SELECT team_id, customer_hash, 'day' AS kind, day AS start FROM day_visits
    UNION
    SELECT team_id, customer_hash, kind, date_trunc(kind, day)::date
    FROM day_visits CROSS JOIN (VALUES ('week'), ('month'), ('quarter')) AS kinds (kind)
)
SELECT v.team_id, v.kind, v.start, count(*), count(*) FILTER (WHERE f.first_day < v.start)
FROM visits v JOIN first_in_team f USING (team_id, customer_hash)
GROUP BY 1, 2, 3
UNION ALL
SELECT NULL, v.kind, v.start, count(*), count(*) FILTER (WHERE f.first_day < v.start)
FROM (SELECT DISTINCT customer_hash, kind, start FROM visits) v
JOIN first_anywhere f USING (customer_hash)
GROUP BY 2, 3
"""
# Served before the period began <=> first served on an earlier local day, since periods
# start at local midnight: so whole days are compared, never timestamps.

THEMES = f"""
SELECT team_id, d, w, m, q, GROUPING(team_id), theme_id,
       count(*),
       count(*) FILTER (WHERE score <= %(detractor_max)s)
FROM (SELECT team_id, theme_id, score, {LOCAL_PERIODS}
      FROM (SELECT r.team_id, t.theme_id, r.score, r.submitted_at AS moment
            FROM feedback_response_themes t
            JOIN feedback_response r ON r.id = t.response_id
            WHERE r.organisation_id = %(org)s) raw) local
GROUP BY theme_id, {ALL_SETS}
"""  # noqa: S608 - constant fragments; the values are parameters


def _key(team_id, d, w, m, q, whole):
    for kind, start in zip(periods.KINDS, (d, w, m, q), strict=True):
        if start is not None:
            return (None if whole else team_id, kind, start)
    raise ValueError("a grouping set without a period")


def compute_all(organisation):
    """As ``rollups.compute_all``: ({key: counts}, {key: {theme id: (mentions, detr.)}})."""
    from feedback.rollups import COUNT_FIELDS

    params = {
        "org": organisation.pk,
        "tz": organisation.time_zone,
        "promoter_min": PROMOTER_MIN,
        "detractor_max": DETRACTOR_MAX,
    }
    counts, themes = {}, {}

    def row_of(key):
        return counts.setdefault(key, dict.fromkeys(COUNT_FIELDS, 0))

    with connection.cursor() as cursor:
        cursor.execute(RESPONSES, params)
        for team_id, d, w, m, q, whole, *values in cursor.fetchall():
            row = row_of(_key(team_id, d, w, m, q, whole))
            row.update(zip(COUNT_FIELDS[:5], values, strict=True))
        cursor.execute(INTERACTIONS, params)
        for team_id, d, w, m, q, whole, interactions, errors in cursor.fetchall():
            row = row_of(_key(team_id, d, w, m, q, whole))
            row["interactions"], row["errors"] = interactions, errors
        cursor.execute(CUSTOMERS, params)
        for team_id, kind, start, customers, returning in cursor.fetchall():
            row = row_of((team_id, kind, start))
            row["customers"], row["returning_customers"] = customers, returning
        cursor.execute(THEMES, params)
        for team_id, d, w, m, q, whole, theme_id, mentions, detractors in cursor.fetchall():
            key = _key(team_id, d, w, m, q, whole)
            themes.setdefault(key, {})[theme_id] = (mentions, detractors)
    return counts, themes
