"""The rebuild's hand-written SQL baseline (``kpis/bench_rebuild.py``) writes, row for row, what
``rollups.rebuild`` writes: the bench times the two against each other, so they must do the
same work."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from feedback.models import Interaction, Invitation, Response
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


def invite(organisation, teams, count):
    """Invitations over the same days: most counted (made or sent), some answered, some not
    counted yet (queued)."""
    zone = timezone.get_current_timezone()
    start = dt.date.today() - dt.timedelta(days=200)
    rows = []
    for n in range(count):
        day = start + dt.timedelta(days=(n * 7) % 200)
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
        organisation, responses=responses, interactions=interactions, days=200, seed=seed
    )
    store_generated(organisation, "responses", found[0])
    store_generated(organisation, "interactions", found[1])


def test_the_hand_written_baseline_writes_the_rebuilds_rows(org):
    if connection.vendor != "postgresql":
        pytest.skip("the baseline is PostgreSQL's SQL (GROUPING SETS, date_trunc); CI has it")
    organisation = org.organisation
    generate(organisation, responses=1500, interactions=3000, seed=21)
    invite(organisation, [org.team_a, org.team_b, org.team_c], 150)
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
