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
from django.db.models import Count, OuterRef, Q, Subquery

from feedback.models import Interaction, Invitation, Response
from kpis.metrics import DETRACTOR_MAX, PROMOTER_MIN
from organisations import clock

RESPONSE_FIELDS = ("responses", "promoters", "passives", "detractors", "comments")
INTERACTION_FIELDS = ("interactions", "errors")
CUSTOMER_FIELDS = ("customers", "returning_customers")
# Personal invitations that count (links made, e-mails sent) on their day, and how many of
# those were answered: the response rate.
INVITATION_FIELDS = ("invitations", "answered")
COUNT_FIELDS = RESPONSE_FIELDS + INTERACTION_FIELDS + CUSTOMER_FIELDS + INVITATION_FIELDS
ADDED_FIELDS = RESPONSE_FIELDS + INTERACTION_FIELDS + INVITATION_FIELDS
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


def count_invitations(organisation, team_days=None) -> dict:
    """{(team id, day): {"invitations", "answered"}} of the given team-days, or of every day;
    an invitation counts on the day it was made (link) or sent (e-mail)."""
    rows = (
        Invitation.objects.counted()
        .filter(_in_team_days(team_days), organisation=organisation)
        .values_list("team_id", "local_day")
        .annotate(
            invitations=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False))
        )
        .order_by()
    )
    counts = {(team, day): {"invitations": n, "answered": a} for team, day, n, a in rows}
    if team_days is not None:
        counts = {key: value for key, value in counts.items() if key in team_days}
    return counts


# Each visit of a customer (customer, day, team, counted once however many interactions), with
# the day of the customer's visit before it at the same team and at any team (at any team, a
# second team on the same day counts as a visit before, with that day). Two ways to the same
# rows: for every day, one pass sorted by customer; for a few days, an index lookup per visit
# (interaction_customer), so that one new interaction never reads whole histories. The visit
# before at the same team is the first one found walking the customer's visits backwards
# (ORDER BY … LIMIT 1): as max(), PostgreSQL read every earlier visit of the customer at any
# team to filter them by team (138 ms for 91 visits of frequent customers, 200,000 rows).
EVERY_VISIT = """
SELECT team_id, day,
       lag(day) OVER (PARTITION BY customer, team_id ORDER BY day) AS team_before,
       lag(day) OVER (PARTITION BY customer ORDER BY day, team_id) AS any_before
FROM (SELECT customer_hash AS customer, local_day AS day, team_id
      FROM feedback_interaction WHERE organisation_id = %s AND customer_hash <> ''
      GROUP BY customer_hash, local_day, team_id) visits
"""
VISITS_ON_DAYS = """
SELECT team_id, day,
       (SELECT i.local_day FROM feedback_interaction i
        WHERE i.organisation_id = %s AND i.customer_hash = v.customer
          AND i.team_id = v.team_id AND i.local_day < v.day
        ORDER BY i.local_day DESC LIMIT 1) AS team_before,
       CASE WHEN EXISTS (SELECT 1 FROM feedback_interaction i
                         WHERE i.organisation_id = %s AND i.customer_hash = v.customer
                           AND i.local_day = v.day AND i.team_id < v.team_id)
            THEN v.day
            ELSE (SELECT max(i.local_day) FROM feedback_interaction i
                  WHERE i.organisation_id = %s AND i.customer_hash = v.customer
                    AND i.local_day < v.day)
       END AS any_before
FROM (SELECT customer_hash AS customer, local_day AS day, team_id
      FROM feedback_interaction
      WHERE organisation_id = %s AND customer_hash <> '' AND local_day IN ({days})
      GROUP BY customer_hash, local_day, team_id) v
"""
# Per team and day, for each kind of period: how many visits are a customer's first in that
# period, and how many of those are returning there; for the team, then for the organisation.
# Materialised: each visit's previous days are worked out once, not once per flag.
FLAGS = """
WITH visits AS MATERIALIZED ({visits})
SELECT team_id, day, {flags}
FROM (SELECT team_id, day, team_before, any_before, {starts} FROM visits) flagged
GROUP BY team_id, day
"""


def _flags_sql(organisation, days) -> tuple[str, list]:
    """FLAGS for one organisation, for every day or only for ``days``: (sql, parameters)."""
    flags = []
    start_of = {clock.DAY: "day"} | {kind: f"{kind}_start" for kind in clock.KINDS[1:]}
    for before in ("team_before", "any_before"):
        for kind in clock.KINDS:
            start = start_of[kind]
            flags.append(f"count(*) FILTER (WHERE {before} IS NULL OR {before} < {start})")
            flags.append(f"count(*) FILTER (WHERE {before} < {start})")
    if days is None:
        visits, params = EVERY_VISIT, [organisation.pk]
    else:
        # Placeholders only; the values are parameters.
        visits = VISITS_ON_DAYS.format(days=", ".join(["%s"] * len(days)))
        params = [organisation.pk] * 4 + sorted(days)
    starts = []
    for kind in clock.KINDS[1:]:
        # Django's own SQL for the start of a week, month or quarter, on either database.
        sql, start_params = connection.ops.date_trunc_sql(kind, "day", ())
        starts.append(f"{sql} AS {kind}_start")
        params += start_params
    sql = FLAGS.format(flags=",\n       ".join(flags), starts=", ".join(starts), visits=visits)
    return sql, params


def flag_customers(organisation, days=None) -> tuple[dict, dict]:
    """({(team id, day): DailyCustomers counts}, {day: the organisation's}) for every team on
    the given days, or on every day."""
    if days is not None and not days:
        return {}, {}
    teams, whole = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(*_flags_sql(organisation, days))
        for team, day, *flags in cursor.fetchall():
            day = clock.as_date(day)
            teams[(team, day)] = dict(zip(DAILY_FIELDS, flags[:8], strict=True))
            row = whole.setdefault(day, dict.fromkeys(DAILY_FIELDS, 0))
            for name, value in zip(DAILY_FIELDS, flags[8:], strict=True):
                row[name] += value
    return teams, whole


def next_visits(organisation, team_days) -> tuple[set, set]:
    """New visits on ``team_days`` can make the same customers returning (or not) on their next
    visit: ({(team id, the next day at that team)}, {the next day at any team}). One query, an
    index lookup per visit on those team-days."""
    if not team_days:
        return set(), set()
    later = Interaction.objects.filter(
        organisation=organisation,
        customer_hash=OuterRef("customer_hash"),
        local_day__gt=OuterRef("local_day"),
    ).order_by("local_day")
    visits = (
        Interaction.objects.filter(_in_team_days(team_days), organisation=organisation)
        .exclude(customer_hash="")
        .values("customer_hash", "team_id", "local_day")
        .annotate(
            team_next=Subquery(later.filter(team_id=OuterRef("team_id")).values("local_day")[:1]),
            any_next=Subquery(later.values("local_day")[:1]),
        )
        .values_list("team_id", "local_day", "team_next", "any_next")
        .distinct()
        .order_by()
    )
    team_next, whole_next = set(), set()
    for team, day, at_team, anywhere in visits:
        if (team, day) not in team_days:
            continue  # the superset's other days
        if at_team is not None:
            team_next.add((team, clock.as_date(at_team)))
        if anywhere is not None:
            whole_next.add(clock.as_date(anywhere))
    return team_next, whole_next


def add_up(kind, day_counts, daily) -> dict:
    """The counts of a period from those of its days: ``day_counts`` the days' counts (any of
    COUNT_FIELDS), ``daily`` their DailyCustomers counts. The one way every period (and the
    organisation's day from its teams') is made, in a rebuild and incrementally."""
    total = dict.fromkeys(COUNT_FIELDS, 0)
    for counts in day_counts:
        for name in ADDED_FIELDS:
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
