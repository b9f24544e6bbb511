"""Benchmarks for ``manage.py bench``: each figure beside a baseline measured in the same run.

Needs PostgreSQL (the baselines are bare ``COPY`` and SQL). Works in an organisation of its
own (slug ``bench``) and removes its rows afterwards.
"""

import csv
import io
import time
from contextlib import contextmanager

from django.db import connection, transaction

from config.celery import app as celery_app
from feedback.imports import import_file
from feedback.models import Response
from feedback.synthetic import generate_rows
from programmes.models import Organisation, Team

BENCH_SLUG = "bench"
TEAMS = ["north", "south", "east", "west", "web"]


def bench_organisation():
    organisation, _ = Organisation.objects.get_or_create(
        slug=BENCH_SLUG, defaults={"name": "Benchmark"}
    )
    for slug in TEAMS:
        Team.objects.get_or_create(organisation=organisation, slug=slug, defaults={"name": slug})
    return organisation


def clear(organisation):
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
            # last benchmark's million dead rows would make ingest look slower than it is.
            for table in ("feedback_response_themes", "feedback_response", "feedback_interaction"):
                cursor.execute(f"VACUUM {table}")


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


def bench_ingest(responses: int, seed: int = 11, keep: bool = False) -> dict:
    """Import ``responses`` rows from a CSV file (parse, validate, hash, redact, tag, COPY)
    beside a bare COPY of the very rows it stored, into a table shaped like the real one."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmarks need PostgreSQL (set DATABASE_URL)")
    organisation = bench_organisation()
    clear(organisation)
    rows, _ = generate_rows(organisation, responses=responses, interactions=0, days=365, seed=seed)
    data = as_csv(rows, list(rows[0]))

    started = time.perf_counter()
    with tasks_sent_not_run():  # ingest only: aggregation is a worker's job, measured apart
        outcome = import_file(organisation, "responses", data, "bench.csv")
    ingest_seconds = time.perf_counter() - started
    if not outcome.ok:
        raise RuntimeError(f"the benchmark import failed: {outcome.errors[:3]}")

    table = Response._meta.db_table
    stored = io.BytesIO()
    with connection.cursor() as cursor:
        query = (
            f"COPY (SELECT * FROM {table} WHERE organisation_id = {organisation.pk:d}) TO STDOUT"  # noqa: S608 - our table, an integer
        )
        with cursor.copy(query) as copy:
            for block in copy:
                stored.write(block)
        # The same table: columns, defaults, indexes, constraints and foreign keys (LIKE does
        # not copy foreign keys, and their checks are part of what any insert costs).
        cursor.execute(f"CREATE TABLE bench_copy (LIKE {table} INCLUDING ALL)")
        for column, target in [
            ("organisation_id", "programmes_organisation"),
            ("team_id", "programmes_team"),
            ("survey_link_id", "feedback_surveylink"),
        ]:
            cursor.execute(
                f"ALTER TABLE bench_copy ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
    try:
        started = time.perf_counter()
        with (
            transaction.atomic(),  # the commit is counted, as in ingest
            connection.cursor() as cursor,
            cursor.copy("COPY bench_copy FROM STDIN") as copy,
        ):
            copy.write(stored.getvalue())
        copy_seconds = time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
        if not keep:
            clear(organisation)
    return {
        "rows": responses,
        "ingest_seconds": round(ingest_seconds, 3),
        "ingest_rows_per_second": round(responses / ingest_seconds),
        "copy_seconds": round(copy_seconds, 3),
        "copy_rows_per_second": round(responses / copy_seconds),
        "speed_ratio_to_copy": round(copy_seconds / ingest_seconds, 3),
        "target": "speed_ratio_to_copy >= 0.5",
    }


BARE_GROUP_BY = """
SELECT team_id, (moment AT TIME ZONE %(tz)s)::date, count(*), count(score),
       count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score <= 6)
FROM (SELECT team_id, score, submitted_at AS moment FROM feedback_response
      WHERE organisation_id = %(org)s) raw
GROUP BY 1, 2
"""
BARE_GROUP_BY_INTERACTIONS = """
SELECT team_id, (occurred_at AT TIME ZONE %(tz)s)::date, count(*),
       count(*) FILTER (WHERE is_error), count(DISTINCT customer_hash)
FROM feedback_interaction WHERE organisation_id = %(org)s
GROUP BY 1, 2
"""


def bench_rollups(interactions: int, seed: int = 12) -> dict:
    """With the responses of ``bench_ingest(keep=True)`` in place, plus ``interactions``:
    a full rebuild beside one bare GROUP BY per raw table over the same rows, and the time
    a worker needs to bring the rollups up to date after one new response."""
    from feedback import rollups
    from feedback.synthetic import store_generated

    organisation = bench_organisation()
    _, rows = generate_rows(
        organisation, responses=0, interactions=interactions, days=365, seed=seed
    )
    with tasks_sent_not_run():
        store_generated(organisation, "interactions", rows)
    params = {"org": organisation.pk, "tz": organisation.time_zone}
    try:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(BARE_GROUP_BY, params)
            cursor.fetchall()
            cursor.execute(BARE_GROUP_BY_INTERACTIONS, params)
            cursor.fetchall()
        group_by_seconds = time.perf_counter() - started

        started = time.perf_counter()
        written = rollups.rebuild(organisation)
        rebuild_seconds = time.perf_counter() - started

        one = generate_rows(organisation, responses=1, interactions=0, days=1, seed=seed + 1)[0]
        with tasks_sent_not_run():
            import_file(organisation, "responses", as_csv(one, list(one[0])), "one.csv")
        started = time.perf_counter()
        rollups.recompute_dirty(organisation)
        incremental_seconds = time.perf_counter() - started
        responses = Response.objects.filter(organisation=organisation).count()
    finally:
        clear(organisation)
        from feedback.models import Rollup, ThemeRollup

        Rollup.objects.filter(organisation=organisation).delete()
        ThemeRollup.objects.filter(organisation=organisation).delete()
    return {
        "responses": responses,
        "interactions": interactions,
        "rollup_rows": written,
        "group_by_seconds": round(group_by_seconds, 3),
        "rebuild_seconds": round(rebuild_seconds, 3),
        "rebuild_ratio_to_group_by": round(rebuild_seconds / group_by_seconds, 2),
        "rebuild_target": "rebuild_ratio_to_group_by <= 1.5",
        "incremental_seconds_after_one_response": round(incremental_seconds, 3),
    }
