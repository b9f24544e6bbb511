"""Benchmarks for ``manage.py bench``: each figure beside a baseline measured in the same run.

Needs PostgreSQL (the baselines are bare ``COPY`` and SQL). Works in an organisation of its
own (slug ``bench``) and removes its rows afterwards.
"""

import csv
import io
import math
import statistics
import time
from contextlib import contextmanager

from celery import current_app as celery_app
from django.db import connection, transaction
from openpyxl import Workbook

from feedback.imports import import_file
from feedback.models import Interaction, Response, Theme
from kpis import bench_rebuild, rollups
from kpis.models import DailyCustomers, Rollup, ThemeRollup
from kpis.synthetic import (
    add_demo_themes,
    chunks,
    generate_responses,
    generate_rows,
    load_interactions,
    store_generated,
)
from organisations.models import Organisation, Role, Team, User
from organisations.people_import import apply, plan, read_people

BENCH_SLUG = "bench"
TEAMS = ["north", "south", "east", "west", "web"]


def bench_organisation(slug=BENCH_SLUG, name="Benchmark"):
    """The benchmark's organisation of its own: TEAMS, and the demo's themes."""
    organisation, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": name})
    for slug in TEAMS:
        Team.objects.get_or_create(organisation=organisation, slug=slug, defaults={"name": slug})
    # Comments tagged as the demo's are: theme tagging and theme links are part of ingest.
    add_demo_themes(organisation)
    return organisation


ROLLUP_TABLES = tuple(model._meta.db_table for model in (Rollup, ThemeRollup, DailyCustomers))


def clear(organisation):
    """Remove the benchmark's rows: raw rows, and the rollups made of them."""
    for model in (Rollup, ThemeRollup, DailyCustomers):
        model.objects.filter(organisation=organisation).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM feedback_response_themes WHERE response_id IN "
            "(SELECT id FROM feedback_response WHERE organisation_id = %s)",
            [organisation.pk],
        )
        cursor.execute(
            "DELETE FROM feedback_response WHERE organisation_id = %s", [organisation.pk]
        )
        cursor.execute(
            "DELETE FROM feedback_interaction WHERE organisation_id = %s", [organisation.pk]
        )
        if connection.get_autocommit():
            # Give the space back for the next run: measuring against a table bloated by the
            # last benchmark's million dead rows would make ingest look slower than it is, and
            # the rollup tables' dead rows the rebuild (autovacuum may not have got there).
            raw = ("feedback_response_themes", "feedback_response", "feedback_interaction")
            for table in (*raw, *ROLLUP_TABLES):
                cursor.execute(f"VACUUM {table}")


def vacuum_rollup_tables():
    """VACUUM (ANALYZE) the real rollup tables and the baseline's scratch tables, so that the
    rebuild and the baseline each write into a table without the dead rows of the runs before
    (untimed; outside a transaction only, as VACUUM cannot run inside one)."""
    if not connection.get_autocommit():
        return
    with connection.cursor() as cursor:
        for table in (*ROLLUP_TABLES, *bench_rebuild.SCRATCH):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


@contextmanager
def tasks_sent_not_run():
    """Without Redis, tasks run in-process; a benchmark of ingest should not wait for them."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager


def as_csv(rows, columns) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


INGEST_CHUNK = 100_000  # rows per imported file at most: a big import, in bounded memory
INGEST_PAIRS = 3  # at least this many chunks, each timed twice: ingest and its COPY baseline

# The baseline's tables: the real ones' columns, defaults, indexes and constraints (LIKE ...
# INCLUDING ALL), plus the foreign keys, which LIKE does not copy and whose checks are part of
# what any insert costs.
COPY_TABLES = {
    "bench_copy": (
        Response._meta.db_table,
        [
            ("organisation_id", "organisations_organisation"),
            ("team_id", "organisations_team"),
            ("survey_link_id", "feedback_surveylink"),
        ],
    ),
    "bench_copy_themes": (
        Response.themes.through._meta.db_table,
        [("response_id", "bench_copy"), ("theme_id", Theme._meta.db_table)],
    ),
}


# What a COPY writes: every column but the generated search vector, which PostgreSQL computes
# in the baseline's table as in the real one.
RESPONSE_COLUMNS = ", ".join(
    field.column for field in Response._meta.concrete_fields if not field.generated
)


def _create_copy_tables(cursor):
    _drop_copy_tables(cursor)  # left behind by a run that was killed
    for name, (table, foreign_keys) in COPY_TABLES.items():
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING ALL)")
        for column, target in foreign_keys:
            cursor.execute(
                f"ALTER TABLE {name} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )


def _drop_copy_tables(cursor):
    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(reversed(COPY_TABLES))}")


def _stored_since(cursor, organisation, last_id) -> dict:
    """What ingest stored after response ``last_id``: the rows and their theme links, in
    COPY's own format (untimed: the baseline's input, ready in memory)."""
    table = Response._meta.db_table
    links = Response.themes.through._meta.db_table
    where = f"organisation_id = {organisation.pk:d} AND id > {last_id:d}"  # integers
    queries = {
        "bench_copy": (
            f"COPY (SELECT {RESPONSE_COLUMNS} FROM {table} "  # noqa: S608 - our tables
            f"WHERE {where} ORDER BY id) TO STDOUT"
        ),
        "bench_copy_themes": (
            f"COPY (SELECT * FROM {links} WHERE response_id IN "  # noqa: S608 - our tables
            f"(SELECT id FROM {table} WHERE {where})) TO STDOUT"
        ),
    }
    stored = {}
    for name, query in queries.items():
        buffer = io.BytesIO()
        with cursor.copy(query) as copy:
            for block in copy:
                buffer.write(block)
        stored[name] = buffer.getvalue()
    return stored


def _copy_baseline(cursor, stored) -> float:
    """The bare COPY of a chunk's rows and theme links, committed, as ingest commits."""
    started = time.perf_counter()
    with transaction.atomic():
        for name, data in stored.items():
            columns = f"({RESPONSE_COLUMNS})" if name == "bench_copy" else ""
            with cursor.copy(f"COPY {name} {columns} FROM STDIN") as copy:
                copy.write(data)
    return time.perf_counter() - started


def _last_response_id(cursor, organisation) -> int:
    cursor.execute(
        f"SELECT coalesce(max(id), 0) FROM {Response._meta.db_table} "  # noqa: S608 - our table
        "WHERE organisation_id = %s",
        [organisation.pk],
    )
    return cursor.fetchone()[0]


def bench_ingest(responses: int, seed: int = 11, keep: bool = False) -> dict:
    """Import ``responses`` rows from CSV files (parse, validate, hash, redact, tag with the
    demo's themes, COPY) beside a bare COPY of the very rows and theme links it stored, into
    tables shaped like the real ones.

    Chunk by chunk (at least INGEST_PAIRS of them, at most INGEST_CHUNK rows each): the file
    is generated untimed, imported (timed), then what the import stored is read back untimed
    and copied into the baseline's tables (timed), right after, on the same rows. Each chunk
    gives a ratio; the median and spread of those ratios are the figure, as a machine shared
    with other work slows one side or the other at random."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmarks need PostgreSQL (set DATABASE_URL)")
    organisation = bench_organisation()
    clear(organisation)
    rows = generate_responses(
        organisation, responses=responses, interactions=0, days=365, seed=seed
    )
    size = max(1, min(INGEST_CHUNK, math.ceil(responses / INGEST_PAIRS)))
    pairs = []
    with connection.cursor() as cursor:
        _create_copy_tables(cursor)
        try:
            # ingest only: aggregation is a worker's job, measured apart
            with tasks_sent_not_run():
                for chunk in chunks(rows, size):
                    data = as_csv(chunk, list(chunk[0]))
                    last_id = _last_response_id(cursor, organisation)
                    started = time.perf_counter()
                    outcome = import_file(organisation, "responses", data, "bench.csv")
                    ingest_seconds = time.perf_counter() - started
                    if not outcome.ok:
                        raise RuntimeError(f"the benchmark import failed: {outcome.errors[:3]}")
                    stored = _stored_since(cursor, organisation, last_id)
                    copy_seconds = _copy_baseline(cursor, stored)
                    pairs.append(
                        {
                            "rows": len(chunk),
                            "theme_links": stored["bench_copy_themes"].count(b"\n"),
                            "ingest_seconds": round(ingest_seconds, 6),
                            "copy_seconds": round(copy_seconds, 6),
                            "ratio": round(copy_seconds / ingest_seconds, 3),
                        }
                    )
        finally:
            _drop_copy_tables(cursor)
            if not keep:
                clear(organisation)
    ingest_seconds = sum(pair["ingest_seconds"] for pair in pairs)
    copy_seconds = sum(pair["copy_seconds"] for pair in pairs)
    ratios = [pair["ratio"] for pair in pairs]
    return {
        "rows": responses,
        "theme_links": sum(pair["theme_links"] for pair in pairs),
        "chunks": len(pairs),
        "ingest_seconds": round(ingest_seconds, 3),
        "ingest_rows_per_second": round(responses / ingest_seconds),
        "copy_seconds": round(copy_seconds, 3),
        "copy_rows_per_second": round(responses / copy_seconds),
        "speed_ratio_to_copy": round(statistics.median(ratios), 3),
        "speed_ratio_spread": [min(ratios), max(ratios)],
        "pairs": pairs,
        "target": "speed_ratio_to_copy (median of the chunks) >= 0.8",
    }


REBUILD_PAIRS = 5  # the rebuild and its hand-written baseline, timed in turns this many times


def bench_rollups(interactions: int, seed: int = 12, pairs: int = REBUILD_PAIRS, then=None) -> dict:
    """With the responses of ``bench_ingest(keep=True)`` in place, plus ``interactions``
    generated and loaded by COPY (``synthetic.load_interactions``, timed): the rebuild beside
    its hand-written baseline and the bare GROUP BYs, and the time a worker needs to bring the
    rollups up to date after one new response, and after one new interaction."""
    organisation = bench_organisation()
    responses = Response.objects.filter(organisation=organisation).count()
    started = time.perf_counter()
    loaded = load_interactions(
        organisation, responses=responses, interactions=interactions, days=365, seed=seed
    )
    load_seconds = time.perf_counter() - started
    try:
        results = {
            "interactions_loaded": loaded,
            "interaction_load_seconds": round(load_seconds, 3),
            "interaction_load_rows_per_second": round(loaded / load_seconds) if loaded else 0,
        }
        results |= measure_rollups(organisation, pairs=pairs)
        if then is not None:
            results |= then(organisation)
        return results
    finally:
        clear(organisation)


def measure_rollups(organisation, seed: int = 12, pairs: int = REBUILD_PAIRS) -> dict:
    """With the organisation's rows in place: the full rebuild and its hand-written baseline
    (``kpis/bench_rebuild.py``: the same rows from the same raw rows in eight SQL statements),
    timed in turns, ``pairs`` times, alternating which goes first, each pair followed by the
    bare GROUP BYs both start from; then the incremental update after one new response and
    after one new interaction (each of which stays behind).

    Before the pairs, one rebuild and one baseline run untimed (caches warm, the load's dirty
    marks done, as on a database that has been running a while), and afterwards the baseline's
    rows are compared with the rebuild's: a RuntimeError names the tables where they differ
    (``baseline_differences``, all zero, is reported otherwise). Before the untimed runs and
    before each timed turn, both sides' tables are vacuumed and analysed
    (``vacuum_rollup_tables``): each side deletes and rewrites its rows every run, and neither
    should write into a table bloated by the dead rows of the runs before."""
    with connection.cursor() as cursor:
        # Fresh statistics for both, as a database that has been running a while has.
        cursor.execute("ANALYZE feedback_response")
        cursor.execute("ANALYZE feedback_interaction")
        cursor.execute("ANALYZE feedback_response_themes")
    bench_rebuild.create_scratch_tables()
    try:
        vacuum_rollup_tables()
        rollups.rebuild(organisation)
        bench_rebuild.rebuild_by_hand(organisation)
        timed = []
        for number in range(pairs):
            turns = ("rebuild", "baseline") if number % 2 == 0 else ("baseline", "rebuild")
            pair = {"first": turns[0]}
            for turn in turns:
                vacuum_rollup_tables()
                if turn == "rebuild":
                    started = time.perf_counter()
                    written = rollups.rebuild(organisation)
                    pair["rebuild_seconds"] = round(time.perf_counter() - started, 6)
                else:
                    seconds = bench_rebuild.rebuild_by_hand(organisation)
                    pair["baseline_seconds"] = round(seconds, 6)
            pair["group_by_seconds"] = round(bench_rebuild.bare_group_bys(organisation), 6)
            pair["ratio"] = round(pair["rebuild_seconds"] / pair["baseline_seconds"], 3)
            pair["ratio_to_group_by"] = round(pair["rebuild_seconds"] / pair["group_by_seconds"], 3)
            timed.append(pair)
        differences = bench_rebuild.differences(organisation)
    finally:
        bench_rebuild.drop_scratch_tables()
    if any(differences.values()):
        found = ", ".join(f"{table}: {count} rows" for table, count in differences.items() if count)
        raise RuntimeError(
            f"the hand-written baseline did not write the rebuild's rows ({found} only on one "
            "side): it is no baseline for the rebuild's time"
        )

    incremental = {}
    for kind in ("responses", "interactions"):
        one = generate_rows(
            organisation,
            responses=int(kind == "responses"),
            interactions=int(kind == "interactions"),
            days=1,
            seed=seed + 1,
        )
        with tasks_sent_not_run():
            store_generated(organisation, kind, one[0] or one[1])
        started = time.perf_counter()
        rollups.recompute_dirty(organisation)
        incremental[kind] = time.perf_counter() - started
    responses = Response.objects.filter(organisation=organisation).count()
    interactions = Interaction.objects.filter(organisation=organisation).count()
    ratios = [pair["ratio"] for pair in timed]
    to_group_by = [pair["ratio_to_group_by"] for pair in timed]
    return {
        "responses": responses,
        "interactions": interactions,
        "rollup_rows": written,
        "rebuild_seconds": statistics.median(pair["rebuild_seconds"] for pair in timed),
        "baseline_seconds": statistics.median(pair["baseline_seconds"] for pair in timed),
        "group_by_seconds": statistics.median(pair["group_by_seconds"] for pair in timed),
        "rebuild_ratio_to_baseline": statistics.median(ratios),
        "rebuild_ratio_spread": [min(ratios), max(ratios)],
        "rebuild_ratio_to_group_by": statistics.median(to_group_by),
        "rebuild_ratio_to_group_by_spread": [min(to_group_by), max(to_group_by)],
        "baseline_differences": differences,
        "pairs": timed,
        "rebuild_target": "rebuild_ratio_to_baseline (median of the pairs) <= 1.2",
        "incremental_seconds_after_one_response": round(incremental["responses"], 3),
        "incremental_seconds_after_one_interaction": round(incremental["interactions"], 3),
    }


PEOPLE_SLUG = "bench-people"
PEOPLE_TEAMS = 30


def people_file(count: int, changed_every: int = 0) -> bytes:
    """An XLSX file of ``count`` people in PEOPLE_TEAMS teams; with ``changed_every``, every
    so many people move team, change language or their name."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["name", "email", "team", "role", "language", "lead"])
    for n in range(count):
        team = f"bench-{n % PEOPLE_TEAMS:02}"
        name, language = f"Person {n}", "nl"
        if changed_every and n % changed_every == 0:
            team, language = f"bench-{(n + 1) % PEOPLE_TEAMS:02}", "en"
            name = f"Person {n} Renamed"
        lead = "yes" if n < PEOPLE_TEAMS else ""
        sheet.append([name, f"p{n}@bench.example", team, "employee", language, lead])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bench_people(count: int) -> dict:
    """Import ``count`` people into 30 teams from XLSX (check, preview, apply), then a
    re-import changing every tenth person: the time of each step."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=PEOPLE_SLUG, defaults={"name": "Benchmark people"}
    )
    for n in range(PEOPLE_TEAMS):
        Team.objects.get_or_create(
            organisation=organisation, slug=f"bench-{n:02}", defaults={"name": f"Team {n:02}"}
        )
    editor = User(organisation=organisation, role=Role.MANAGEMENT)
    results = {"people": count, "teams": PEOPLE_TEAMS}
    try:
        for step, data in (("first", people_file(count)), ("reimport", people_file(count, 10))):
            started = time.perf_counter()
            reading = read_people(organisation, data, "people.xlsx", editor=editor)
            if reading.problem_count:
                raise RuntimeError(f"the benchmark's own file has problems: {reading.problems[:3]}")
            changes = plan(organisation, reading.rows)
            checked = time.perf_counter()
            with transaction.atomic():
                apply(organisation, reading.rows)
            applied = time.perf_counter()
            results[f"{step}_changes"] = len(changes)
            results[f"{step}_check_and_preview_seconds"] = round(checked - started, 3)
            results[f"{step}_apply_seconds"] = round(applied - checked, 3)
    finally:
        User.objects.filter(organisation=organisation).delete()
        organisation.delete()
    return results
