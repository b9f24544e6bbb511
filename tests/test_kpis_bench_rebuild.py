"""The rebuild's hand-written SQL baseline (``kpis/bench_rebuild.py``) writes, row for row, what
``rollups.rebuild`` writes: the bench times the two against each other, so they must do the
same work.

On a fixed calendar (across a year end) with the edge rows the generator never makes; tried
against these mutations of the baseline, each of which it fails: ``count(score)`` as
``count(*)``; the visits without ``customer_hash <> ''``; detractor mentions counting responses
without a score; the organisation's customers as the sum of its teams' (in Rollup or in
DailyCustomers)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from feedback.models import Interaction, Invitation, Response, Source, Theme
from kpis import bench_rebuild, rollups
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from kpis.synthetic import add_demo_themes, generate_rows, store_generated

ROLLUP_COLUMNS = ("team_id", "kind", "period_start", *rollups.COUNT_FIELDS)
THEME_COLUMNS = ("team_id", "theme_id", "kind", "period_start", "mentions", "detractor_mentions")
DAILY_COLUMNS = ("team_id", "day", *rollups.DAILY_FIELDS)
TABLES = {
    "bench_rollup": (Rollup, ROLLUP_COLUMNS),
    "bench_theme_rollup": (ThemeRollup, THEME_COLUMNS),
    "bench_daily_customers": (DailyCustomers, DAILY_COLUMNS),
}


def scratch_rows(table, columns, organisation):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE organisation_id = %s",  # noqa: S608
            [organisation.pk],
        )
        return sorted(cursor.fetchall(), key=str)


def real_rows(model, columns, organisation):
    return sorted(model.objects.filter(organisation=organisation).values_list(*columns), key=str)


# A fixed calendar, not today's: 200 days up to END cross a year end, the ISO week that
# straddles it (2025-12-29 to 2026-01-04), month ends and two quarter ends.
END = dt.date(2026, 1, 20)
DAYS = 200
START = END - dt.timedelta(days=DAYS - 1)
# The day of the edge rows: in the ISO week that began in the year before.
EDGE_DAY = dt.date(2026, 1, 2)


def invite(organisation, teams, count):
    """Invitations over the same days: most counted (made or sent), some answered, some not
    counted yet (queued)."""
    zone = timezone.get_current_timezone()
    start = START
    rows = []
    for n in range(count):
        day = start + dt.timedelta(days=(n * 7) % DAYS)
        counted = n % 5 != 0
        moment = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
        rows.append(
            Invitation(
                organisation=organisation,
                team=teams[n % len(teams)],
                customer_hash=f"c{n % 40}",
                token=f"bench-rebuild-{n}",
                status=Invitation.Status.SENT if counted else Invitation.Status.QUEUED,
                expires_at=moment + dt.timedelta(days=14),
                counted_at=moment if counted else None,
                local_day=day if counted else None,
                answered_at=moment + dt.timedelta(hours=3) if counted and n % 3 == 0 else None,
            )
        )
    Invitation.objects.bulk_create(rows)


def generate(organisation, responses, interactions, seed):
    add_demo_themes(organisation)
    found = generate_rows(
        organisation,
        responses=responses,
        interactions=interactions,
        days=DAYS,
        seed=seed,
        end=END,
    )
    store_generated(organisation, "responses", found[0])
    store_generated(organisation, "interactions", found[1])


def add_edge_rows(organisation, team_a, team_b):
    """What the generator never makes: responses without a score (with a comment, without
    one, tagged with a theme), interactions without a customer on a day and at a team with
    customers, and a customer new on EDGE_DAY at two teams that day."""
    zone = timezone.get_current_timezone()
    moment = dt.datetime.combine(EDGE_DAY, dt.time(12), tzinfo=zone)
    theme = Theme.objects.filter(organisation=organisation).order_by("name").first()
    common = {
        "organisation": organisation,
        "submitted_at": moment,
        "local_day": EDGE_DAY,
        "source": Source.MANUAL,
    }
    Response.objects.create(**common, team=team_a, score=None, comment="Geen cijfer, wel tekst")
    Response.objects.create(**common, team=team_a, score=None, comment="")
    tagged = Response.objects.create(**common, team=team_b, score=None, comment="Over het thema")
    tagged.themes.add(theme)
    visits = [
        (team_a, "edge-known"),  # a customer that day, so the day has customers either way
        (team_a, ""),
        (team_a, ""),
        (team_b, ""),
        (team_a, "edge-new"),
        (team_b, "edge-new"),
    ]
    Interaction.objects.bulk_create(
        Interaction(
            organisation=organisation,
            team=team,
            customer_hash=customer,
            occurred_at=moment,
            local_day=EDGE_DAY,
            source=Source.MANUAL,
        )
        for team, customer in visits
    )


def assert_edge_coverage(organisation):
    """The data set holds the edges the baseline could get wrong: fails if the generator or
    add_edge_rows stops making them."""
    responses = Response.objects.filter(organisation=organisation)
    unscored = responses.filter(score__isnull=True)
    assert unscored.exclude(comment="").exists()
    assert unscored.filter(comment="").exists()
    assert unscored.filter(themes__isnull=False).exists()
    days = set(responses.values_list("local_day", flat=True))
    days |= set(
        Interaction.objects.filter(organisation=organisation).values_list("local_day", flat=True)
    )
    assert min(days) == START and max(days) == END
    # a year end, the ISO week across it, and month and quarter ends with days on both sides
    for before, after in (
        (dt.date(2025, 12, 31), dt.date(2026, 1, 1)),  # year, quarter, month
        (dt.date(2025, 9, 30), dt.date(2025, 10, 1)),  # quarter, month
        (dt.date(2025, 12, 28), dt.date(2025, 12, 29)),  # ISO week (Sunday, Monday)
    ):
        assert before in days and after in days, (before, after)
    with connection.cursor() as cursor:
        # interactions without a customer at a team and day that has customers
        cursor.execute(
            "SELECT count(*) FROM feedback_interaction AS blank WHERE blank.organisation_id = %s "
            "AND blank.customer_hash = '' AND EXISTS (SELECT 1 FROM feedback_interaction AS i "
            "WHERE i.team_id = blank.team_id AND i.local_day = blank.local_day "
            "AND i.customer_hash <> '')",
            [organisation.pk],
        )
        assert cursor.fetchone()[0]
        # a customer at two teams on a day with no visit before it
        cursor.execute(
            "SELECT count(*) FROM (SELECT customer_hash, local_day FROM feedback_interaction AS i "
            "WHERE organisation_id = %(org)s AND customer_hash <> '' "
            "AND NOT EXISTS (SELECT 1 FROM feedback_interaction AS e WHERE "
            "e.organisation_id = %(org)s AND e.customer_hash = i.customer_hash "
            "AND e.local_day < i.local_day) "
            "GROUP BY 1, 2 HAVING count(DISTINCT team_id) > 1) AS found",
            {"org": organisation.pk},
        )
        assert cursor.fetchone()[0]


def test_the_hand_written_baseline_writes_the_rebuilds_rows(org):
    if connection.vendor != "postgresql":
        pytest.skip("the baseline is PostgreSQL's SQL (GROUPING SETS, date_trunc); CI has it")
    organisation = org.organisation
    generate(organisation, responses=1500, interactions=3000, seed=21)
    add_edge_rows(organisation, org.team_a, org.team_b)
    invite(organisation, [org.team_a, org.team_b, org.team_c], 150)
    assert_edge_coverage(organisation)
    # Another organisation's rows count in neither.
    other = org.other_team.organisation
    generate(other, responses=100, interactions=200, seed=22)
    rollups.rebuild(organisation)
    bench_rebuild.create_scratch_tables()
    try:
        # twice: the second run replaces the first's rows, as a rebuild replaces the last one's
        bench_rebuild.rebuild_by_hand(organisation)
        assert bench_rebuild.rebuild_by_hand(organisation) > 0
        for table, (model, columns) in TABLES.items():
            expected = real_rows(model, columns, organisation)
            assert scratch_rows(table, columns, organisation) == expected, table
        # The data set has what makes the figures hard: every scope, every kind, several
        # periods of each, returning customers at a team and across teams, themes among
        # detractors, invitations answered.
        rows = real_rows(Rollup, ROLLUP_COLUMNS, organisation)
        kinds = {(row[0] is None, row[1]) for row in rows}
        assert kinds == {(whole, k) for whole in (True, False) for k in rollups.clock.KINDS}
        assert len({row[2] for row in rows if row[1] == "quarter"}) >= 3
        fields = dict(enumerate(ROLLUP_COLUMNS))
        totals = {fields[i]: sum(row[i] for row in rows) for i in range(3, len(ROLLUP_COLUMNS))}
        assert all(totals.values()), totals
        daily = real_rows(DailyCustomers, DAILY_COLUMNS, organisation)
        assert any(row[3] for row in daily if row[0] is None)  # returning, organisation
        assert any(row[0] is not None and row[2] > row[4] for row in daily)  # not first in week
        themes = real_rows(ThemeRollup, THEME_COLUMNS, organisation)
        assert any(row[0] is None for row in themes) and sum(row[5] for row in themes)
        assert Response.objects.filter(organisation=other).exists()
        assert Interaction.objects.filter(organisation=other).exists()
    finally:
        bench_rebuild.drop_scratch_tables()
