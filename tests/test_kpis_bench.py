"""``manage.py bench`` at a tiny size: it runs on PostgreSQL and reports every figure as JSON.
The real runs (millions of rows) are benchmarks, not tests: see the README."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.models import Interaction, Response, Theme
from kpis import bench_rebuild, benchmarks
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from kpis.synthetic import DEMO_THEMES, generate_rows, store_generated
from organisations.models import Organisation, User

KEYS = {
    "ingest": {
        "rows",
        "theme_links",
        "chunks",
        "ingest_seconds",
        "copy_seconds",
        "speed_ratio_to_copy",
        "speed_ratio_spread",
        "pairs",
    },
    "rollups": {
        "responses",
        "interactions",
        "interaction_load_rows_per_second",
        "group_by_seconds",
        "rebuild_seconds",
        "baseline_seconds",
        "rebuild_ratio_to_baseline",
        "rebuild_ratio_spread",
        "rebuild_ratio_to_group_by",
        "baseline_differences",
        "pairs",
        "incremental_seconds_after_one_response",
        "incremental_seconds_after_one_interaction",
        "worker_beside_group_by",
    },
    "invitations": {
        "contacts",
        "invitation_requests_per_second",
        "interactions_per_second",
        "emails",
        "emails_per_second",
    },
}


@pytest.mark.django_db(transaction=True)
def test_bench_prints_every_figure_as_json_and_leaves_nothing_behind():
    if connection.vendor != "postgresql":
        pytest.skip("bench measures against bare COPY and SQL: PostgreSQL only (CI has it)")
    out = StringIO()
    call_command(
        "bench",
        responses=300,
        interactions=500,
        contacts=300,
        emails=20,
        posts=0,  # no web server and worker of its own in a test
        json=True,
        stdout=out,
    )
    results = json.loads(out.getvalue())
    for part, keys in KEYS.items():
        assert keys <= set(results[part]), part
    ingest = results["ingest"]
    assert ingest["rows"] == 300
    for kind in ("responses", "interactions"):  # one new answer, in one transaction each time
        one = results["rollups"]["worker_beside_group_by"][kind]
        assert one["pairs"] >= 3 and one["worker_transactions"] == [1]
        assert len(one["worker_statements"]) == 1 and one["ratio_median"] > 0
    # at least three chunks, each imported and then copied bare: a ratio per chunk
    assert ingest["chunks"] == len(ingest["pairs"]) >= 3
    assert sum(pair["rows"] for pair in ingest["pairs"]) == 300
    for pair in ingest["pairs"]:
        assert pair["ingest_seconds"] > 0 and pair["copy_seconds"] > 0
        assert pair["ratio"] == pytest.approx(
            pair["copy_seconds"] / pair["ingest_seconds"], rel=0.02, abs=0.001
        )
    low, high = ingest["speed_ratio_spread"]
    assert low <= ingest["speed_ratio_to_copy"] <= high
    # the bench organisation has the demo's themes, so comments were tagged and their links
    # copied by the baseline as well
    assert ingest["theme_links"] > 0
    assert set(
        Theme.objects.filter(organisation__slug="bench").values_list("name", flat=True)
    ) == set(DEMO_THEMES)
    # the one response and the one interaction added to time the incremental update
    assert (results["rollups"]["responses"], results["rollups"]["interactions"]) == (301, 501)
    built = results["rollups"]
    assert built["interactions_loaded"] == 500 and built["interaction_load_rows_per_second"] > 0
    assert built["rebuild_seconds"] > 0
    # the rebuild and its hand-written baseline in turns, alternating which goes first, and
    # the baseline wrote the very rows the rebuild wrote
    # five pairs by default
    assert [pair["first"] for pair in built["pairs"]] == ["rebuild", "baseline"] * 2 + ["rebuild"]
    for pair in built["pairs"]:
        assert pair["ratio"] == pytest.approx(
            pair["rebuild_seconds"] / pair["baseline_seconds"], rel=0.02, abs=0.001
        )
    low, high = built["rebuild_ratio_spread"]
    assert low <= built["rebuild_ratio_to_baseline"] <= high
    assert built["baseline_differences"] == dict.fromkeys(
        ["bench_rollup", "bench_theme_rollup", "bench_daily_customers"], 0
    )
    invited = results["invitations"]
    assert invited["invitations_made"] > 0
    assert invited["emails"] == invited["emails_received"] == 20
    for model in (Response, Interaction, Rollup, DailyCustomers):
        assert not model.objects.exists(), model
    with connection.cursor() as cursor:  # the baseline's tables are gone
        cursor.execute("SELECT to_regclass('bench_copy'), to_regclass('bench_copy_themes')")
        assert cursor.fetchone() == (None, None)
        cursor.execute("SELECT to_regclass('bench_rollup'), to_regclass('bench_daily_customers')")
        assert cursor.fetchone() == (None, None)


ROLLUP_TABLES = [model._meta.db_table for model in (Rollup, ThemeRollup, DailyCustomers)]


def bench_rows():
    """The bench organisation with a few generated rows."""
    organisation = benchmarks.bench_organisation()
    responses, interactions = generate_rows(
        organisation, responses=120, interactions=200, days=40, seed=5
    )
    store_generated(organisation, "responses", responses)
    store_generated(organisation, "interactions", interactions)
    return organisation


def statements(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_both_sides_of_the_rebuild_write_into_freshly_vacuumed_tables():
    """VACUUM (ANALYZE) of the real rollup tables and the baseline's scratch tables before the
    pairs and before each timed turn, so neither writes into a table its last run bloated; and
    clear() vacuums the rollup tables as well as the raw ones."""
    if connection.vendor != "postgresql":
        pytest.skip("VACUUM and the baseline's SQL: PostgreSQL only (CI has it)")
    organisation = bench_rows()
    tables = ROLLUP_TABLES + list(bench_rebuild.SCRATCH)
    with CaptureQueriesContext(connection) as captured:
        built = benchmarks.measure_rollups(organisation, pairs=3)
    assert len(built["pairs"]) == 3
    ran = statements(captured)
    for table in tables:
        # once before the warm-up, then before each of the six timed turns
        assert ran.count(f"VACUUM (ANALYZE) {table}") == 1 + 2 * 3, table
    # all tables of both sides together each time
    vacuums = [n for n, sql in enumerate(ran) if sql.startswith("VACUUM (ANALYZE)")]
    runs = [vacuums[i : i + len(tables)] for i in range(0, len(vacuums), len(tables))]
    assert len(runs) == 7 and all(run == list(range(run[0], run[0] + len(tables))) for run in runs)
    with CaptureQueriesContext(connection) as captured:
        benchmarks.clear(organisation)
    ran = statements(captured)
    for table in [*ROLLUP_TABLES, "feedback_response", "feedback_interaction"]:
        assert f"VACUUM {table}" in ran, table
    assert not Rollup.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_rollup_bench_refuses_a_baseline_that_writes_other_rows(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the baseline is PostgreSQL's SQL: PostgreSQL only (CI has it)")
    organisation = bench_rows()
    # a baseline that forgets the themes: no ThemeRollup rows, where the rebuild writes some
    wrong = tuple(s for s in bench_rebuild.STATEMENTS if s != bench_rebuild.THEMES)
    assert len(wrong) == len(bench_rebuild.STATEMENTS) - 1
    monkeypatch.setattr(bench_rebuild, "STATEMENTS", wrong)
    with pytest.raises(RuntimeError, match=r"bench_theme_rollup: \d+ rows") as raised:
        benchmarks.measure_rollups(organisation, pairs=3)
    written = ThemeRollup.objects.filter(organisation=organisation).count()  # by the rebuild
    assert written
    assert f"bench_theme_rollup: {written} rows" in str(raised.value)
    with connection.cursor() as cursor:  # the scratch tables are gone all the same
        cursor.execute("SELECT to_regclass('bench_rollup'), to_regclass('bench_theme_rollup')")
        assert cursor.fetchone() == (None, None)


def test_scale_sets_responses_and_interactions_and_the_explicit_flags_win(monkeypatch):
    from kpis.management.commands import bench

    asked = []
    monkeypatch.setattr(bench, "SECTIONS", {"sizes": lambda options: asked.append(options)})
    call_command("bench", scale="10m", json=True, stdout=StringIO())
    call_command("bench", scale="1m", interactions=5, json=True, stdout=StringIO())
    call_command("bench", responses=30, json=True, stdout=StringIO())
    sizes = [(options["responses"], options["interactions"]) for options in asked]
    assert sizes == [(10_000_000, 20_000_000), (1_000_000, 5), (30, 60)]
    with pytest.raises(CommandError, match="--scale"):
        call_command("bench", scale="5m", stdout=StringIO())
    with pytest.raises(CommandError, match="at least 3"):
        call_command("bench", pairs=2, stdout=StringIO())


@pytest.mark.django_db
def test_bench_refuses_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("bench", responses=10, json=True, stdout=StringIO())


@pytest.mark.django_db
def test_bench_people_times_an_import_and_a_reimport_and_leaves_nothing_behind():
    out = StringIO()
    call_command("bench", people=60, json=True, stdout=out)
    people = json.loads(out.getvalue())["people"]
    assert (people["people"], people["teams"], people["first_changes"]) == (60, 30, 60)
    # every tenth person: a new name, another team and English; the three of them who lead
    # (the first 30 people lead their team) now lead the other team
    assert people["reimport_changes"] == 6 * 3 + 3
    assert people["first_apply_seconds"] > 0
    assert not Organisation.objects.filter(slug="bench-people").exists()
    assert not User.objects.filter(email__endswith="@bench.example").exists()
