"""The one rollup computation: what happened per team and local day, counted straight from the
raw rows in a few set-based queries that run unchanged on SQLite and PostgreSQL, for a full
rebuild and for a handful of dirty days alike; weeks, months, quarters and the whole
organisation are then added up from the days (``add_up``).

Every row carries the local day it was stored on (``local_day``, in the organisation's time
zone), so counting a day is a GROUP BY on a column, not a time-zone conversion per row.

Distinct and returning customers add up over days too, because each visit is flagged where it
counts (``flag_customers``): a customer counts in a period on their first day in it (no earlier
visit, or only before the period began), and is returning there if they had a visit on an
earlier day before the period began. Served before a period began means served on an earlier
local day, since periods start at local midnight. For the whole organisation only a customer's
first team of the day counts.
"""

from django.db import connection
from django.db.models import Count, Q

from feedback.models import Interaction, Response
from kpis.metrics import DETRACTOR_MAX, PROMOTER_MIN
from organisations import clock

RESPONSE_FIELDS = ("responses", "promoters", "passives", "detractors", "comments")
INTERACTION_FIELDS = ("interactions", "errors")
CUSTOMER_FIELDS = ("customers", "returning_customers")
COUNT_FIELDS = RESPONSE_FIELDS + INTERACTION_FIELDS + CUSTOMER_FIELDS
# Per day and scope, for each kind of period: the customers whose first day in that period it
# is, and those of them returning there (DailyCustomers' fields, in this order).
DAILY_OF_KIND = {clock.DAY: ("customers", "returning_customers")} | {
    kind: (f"first_in_{kind}", f"returning_in_{kind}") for kind in clock.KINDS[1:]
}
DAILY_FIELDS = tuple(name for kind in clock.KINDS for name in DAILY_OF_KIND[kind])


def _in_team_days(team_days, prefix=""):
    """A filter for rows of the given (team id, day) pairs: a superset (every day of every
    team named), which the callers narrow down; every row for ``None``."""
    if team_days is None:
        return Q()
    return Q(**{f"{prefix}team_id__in": {team for team, _day in team_days}}) & Q(
        **{f"{prefix}local_day__in": {day for _team, day in team_days}}
    )


def count_responses(organisation, team_days=None) -> tuple[dict, dict]:
    """({(team id, day): response counts}, {(team id, day): {theme id: (mentions, among
    detractors)}}) of the given team-days, or of every day."""
    wanted = _in_team_days(team_days)
    rows = (
        Response.objects.filter(wanted, organisation=organisation)
        .values_list("team_id", "local_day")
        .annotate(
            responses=Count("score"),
            promoters=Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
            passives=Count("pk", filter=Q(score__gt=DETRACTOR_MAX, score__lt=PROMOTER_MIN)),
            detractors=Count("pk", filter=Q(score__lte=DETRACTOR_MAX)),
            comments=Count("pk", filter=~Q(comment="")),
        )
        .order_by()
    )
    counts = {
        (team, day): dict(zip(RESPONSE_FIELDS, values, strict=True)) for team, day, *values in rows
    }
    through = Response.themes.through
    tags = (
        through.objects.filter(
            _in_team_days(team_days, prefix="response__"), response__organisation=organisation
        )
        .values_list("response__team_id", "response__local_day", "theme_id")
        .annotate(
            mentions=Count("pk"),
            detractor_mentions=Count("pk", filter=Q(response__score__lte=DETRACTOR_MAX)),
        )
        .order_by()
    )
    themes = {}
    for team, day, theme, mentions, detractors in tags:
        themes.setdefault((team, day), {})[theme] = (mentions, detractors)
    if team_days is not None:
        counts = {key: value for key, value in counts.items() if key in team_days}
        themes = {key: value for key, value in themes.items() if key in team_days}
    return counts, themes


def count_interactions(organisation, team_days=None) -> dict:
    """{(team id, day): {"interactions", "errors"}} of the given team-days, or of every day."""
    rows = (
        Interaction.objects.filter(_in_team_days(team_days), organisation=organisation)
        .values_list("team_id", "local_day")
        .annotate(interactions=Count("pk"), errors=Count("pk", filter=Q(is_error=True)))
        .order_by()
    )
    counts = {(team, day): {"interactions": n, "errors": e} for team, day, n, e in rows}
    if team_days is not None:
        counts = {key: value for key, value in counts.items() if key in team_days}
    return counts


# The customers' distinct visits (customer, day, team), each with the day of the customer's
# visit before it to the same team and to any team, in one pass sorted by customer; then per
# team and day, for each kind of period, how many visits are a first (or a returning) visit in
# that period, for the team and for the whole organisation.
FLAGS = """
WITH visits AS (
    SELECT customer_hash AS customer, local_day AS day, team_id
    FROM feedback_interaction
    WHERE organisation_id = %s AND customer_hash <> '' {customers}
    GROUP BY customer_hash, local_day, team_id
),
previous AS (
    SELECT team_id, day, {starts},
           lag(day) OVER (PARTITION BY customer, team_id ORDER BY day) AS team_before,
           lag(day) OVER (PARTITION BY customer ORDER BY day, team_id) AS any_before
    FROM visits
)
SELECT team_id, day, {flags}
FROM previous {days}
GROUP BY team_id, day
"""


CUSTOMERS_ON_DAYS = """AND customer_hash IN (
        SELECT customer_hash FROM feedback_interaction
        WHERE organisation_id = %s AND local_day IN ({marks}))"""


def _flags_sql(days) -> tuple[str, list, list]:
    """FLAGS for one organisation, for every day or only for ``days`` (their customers' whole
    histories are read, so that each visit's previous one is known): (sql, the days'
    parameters, the period starts' parameters)."""
    starts, start_params = [], []
    for kind in clock.KINDS[1:]:
        # Django's own SQL for the start of a week, month or quarter, on either database.
        sql, params = connection.ops.date_trunc_sql(kind, "day", ())
        starts.append(f"{sql} AS {kind}_start")
        start_params += params
    start_of = {clock.DAY: "day"} | {kind: f"{kind}_start" for kind in clock.KINDS[1:]}
    flags = []
    # For the whole organisation, a customer's second team on one day has any_before = day.
    for before in ("team_before", "any_before"):
        for kind in clock.KINDS:
            start = start_of[kind]
            flags.append(f"count(*) FILTER (WHERE {before} IS NULL OR {before} < {start})")
            flags.append(f"count(*) FILTER (WHERE {before} < {start})")
    customers, days_filter, day_params = "", "", []
    if days is not None:
        marks = ", ".join(["%s"] * len(days))
        # Placeholders only; the values are parameters.
        customers = CUSTOMERS_ON_DAYS.format(marks=marks)
        days_filter = f"WHERE day IN ({marks})"
        day_params = sorted(days)
    sql = FLAGS.format(
        customers=customers,
        starts=", ".join(starts),
        flags=",\n       ".join(flags),
        days=days_filter,
    )
    return sql, day_params, start_params


def flag_customers(organisation, days=None) -> tuple[dict, dict]:
    """({(team id, day): DailyCustomers counts}, {day: the organisation's}) for every team on
    the given days, or on every day."""
    if days is not None and not days:
        return {}, {}
    sql, day_params, start_params = _flags_sql(days)
    params = [organisation.pk]
    if days is not None:
        params += [organisation.pk, *day_params]
    params += start_params
    if days is not None:
        params += day_params
    teams, whole = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for team, day, *flags in cursor.fetchall():
            day = clock.as_date(day)
            teams[(team, day)] = dict(zip(DAILY_FIELDS, flags[:8], strict=True))
            row = whole.setdefault(day, dict.fromkeys(DAILY_FIELDS, 0))
            for name, value in zip(DAILY_FIELDS, flags[8:], strict=True):
                row[name] += value
    return teams, whole


def next_visits(organisation, team_days) -> tuple[set, set]:
    """New visits on ``team_days`` can make the same customers returning (or not) on their next
    visit: ({(team id, next day at that team)}, {next day at any team}). One query over those
    customers' visits."""
    days = {day for _team, day in team_days}
    visits = (
        Interaction.objects.filter(
            organisation=organisation,
            customer_hash__in=Interaction.objects.filter(
                organisation=organisation, local_day__in=days
            )
            .exclude(customer_hash="")
            .values("customer_hash"),
        )
        .values_list("customer_hash", "team_id", "local_day")
        .distinct()
        .order_by()
    )
    by_team, anywhere = {}, {}
    for customer, team, day in visits:
        by_team.setdefault((customer, team), set()).add(day)
        anywhere.setdefault(customer, set()).add(day)
    team_next, whole_next = set(), set()
    for (customer, team), seen in by_team.items():
        for day in seen & days:
            later = [d for d in seen if d > day]
            if later and (team, day) in team_days:
                team_next.add((team, min(later)))
            all_later = [d for d in anywhere[customer] if d > day]
            if all_later:
                whole_next.add(min(all_later))
    return team_next, whole_next


def add_up(kind, start, day_counts, daily) -> dict:
    """The counts of a period from those of its days: ``day_counts`` the days' counts (any of
    COUNT_FIELDS), ``daily`` their DailyCustomers counts. The one way every period (and the
    organisation's day from its teams') is made, in a rebuild and incrementally."""
    total = dict.fromkeys(COUNT_FIELDS, 0)
    for counts in day_counts:
        for name in RESPONSE_FIELDS + INTERACTION_FIELDS:
            total[name] += counts.get(name, 0)
    first, returning = DAILY_OF_KIND[kind]
    for flags in daily:
        total["customers"] += flags[first]
        total["returning_customers"] += flags[returning]
    return total


def add_up_themes(day_themes) -> dict:
    """{theme id: (mentions, among detractors)} of a period from those of its days."""
    total = {}
    for themes in day_themes:
        for theme, (mentions, detractors) in themes.items():
            before = total.get(theme, (0, 0))
            total[theme] = (before[0] + mentions, before[1] + detractors)
    return total
