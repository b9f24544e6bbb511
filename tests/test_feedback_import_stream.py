"""A file is read, checked and written in bounded batches in one transaction: memory does not
grow with its length, repeated external ids are skipped across batches, a bad row in a late
batch leaves nothing behind, and a worker's progress is seen while the rows are uncommitted."""

import tracemalloc

import pytest
from django.db import connection, connections

from feedback import imports
from feedback.imports import import_file
from feedback.models import DirtyMark, ImportJob, Interaction, Response, Theme

HEADER = "team,score,comment,customer_ref,submitted_at,external_id"


def csv_bytes(lines) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def rows(count, *, start=0, comment="Lang gewacht"):
    return [
        f"alpha,{n % 11},{comment if n % 2 else ''},C{n},2026-03-01 10:00,e{n}"
        for n in range(start, start + count)
    ]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 100)


def theme_links():
    return Response.themes.through.objects.count()


def test_ids_stored_before_or_repeated_in_a_later_batch_are_skipped(org, small_batches):
    Theme.objects.create(organisation=org.organisation, name="Wachten", keywords="wacht, gewacht")
    assert import_file(org.organisation, "responses", csv_bytes([HEADER, *rows(10)])).ok
    # 350 rows: e0..e9 were stored before, e100..e119 come twice (batches one and three).
    lines = [HEADER, *rows(330), *rows(20, start=100)]
    outcome = import_file(org.organisation, "responses", csv_bytes(lines))
    assert outcome.ok, outcome.errors
    assert (outcome.result.created, outcome.result.duplicates) == (320, 30)
    assert Response.objects.count() == 330
    assert theme_links() == 165  # every other comment, once each
    links = Response.themes.through.objects.select_related("response")
    assert all("gewacht" in link.response.comment for link in links)
    assert outcome.rows_total == 350


def test_a_bad_row_after_batches_were_written_leaves_nothing(org, small_batches):
    Theme.objects.create(organisation=org.organisation, name="Wachten", keywords="wacht")
    lines = [HEADER, *rows(450)]
    lines[321] = "alpha,11,,C,2026-03-01 10:00,bad"
    lines[430] = "nope,5,,C,2026-03-01 10:00,bad2"
    outcome = import_file(org.organisation, "responses", csv_bytes(lines))
    assert [(e.row, e.field) for e in outcome.errors] == [(322, "score"), (431, "team")]
    assert outcome.rows_total == 450 and outcome.result is None
    assert Response.objects.count() == 0 and theme_links() == 0
    assert not DirtyMark.objects.exists()


def test_interactions_longer_than_a_batch_are_stored_all_or_nothing(org, small_batches):
    header = "team,customer_ref,occurred_at,is_error,external_id"
    lines = [header] + [f"beta,C{n},2026-03-01 10:00,{n % 2},i{n}" for n in range(250)]
    outcome = import_file(org.organisation, "interactions", csv_bytes(lines))
    assert outcome.ok and outcome.result.created == 250
    lines.append("beta,C,2026-03-01 10:00,maybe,i-bad")
    outcome = import_file(org.organisation, "interactions", csv_bytes(lines))
    assert [(e.row, e.field) for e in outcome.errors] == [(252, "is_error")]
    assert Interaction.objects.filter(organisation=org.organisation).count() == 250


def _import_peak(org, count) -> int:
    data = csv_bytes([HEADER, *rows(count, start=count)])  # fresh external ids each time
    tracemalloc.start()
    try:
        outcome = import_file(org.organisation, "responses", data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert outcome.ok, outcome.errors


def test_memory_does_not_grow_with_the_length_of_the_file(org, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 250)
    _import_peak(org, 250)  # caches and first-use allocations, outside the comparison
    short, long = _import_peak(org, 1000), _import_peak(org, 4000)
    # Rows held whole would take four times as much; batches of 250 take the same.
    assert long < 1.5 * short, (short, long)


@pytest.mark.django_db(transaction=True)
def test_a_workers_progress_is_seen_outside_the_import_transaction(org, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: progress is kept in the transaction there")
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 100)
    job = ImportJob.objects.create(
        organisation=org.organisation,
        kind="responses",
        filename="p.csv",
        content=csv_bytes([HEADER, *rows(300)]),
    )
    page = connections.create_connection("default")  # the page polling meanwhile
    seen = []
    real = imports.import_file

    def watched(*args, progress, **kwargs):
        def spy(rows_checked):
            progress(rows_checked)
            with page.cursor() as cursor:
                cursor.execute(
                    "SELECT status, rows_checked FROM feedback_importjob WHERE id = %s", [job.pk]
                )
                seen.append((cursor.fetchone(), Response.objects.count()))

        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(imports, "import_file", watched)
    try:
        assert imports.run_job(job) == "done"
        with page.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM feedback_response")
            assert cursor.fetchone()[0] == 300
    finally:
        page.close()
    assert seen == [
        (("validating", 100), 100),
        (("validating", 200), 200),
        (("validating", 300), 300),
        (("writing", 300), 300),
    ]


def test_a_file_that_breaks_after_batches_were_written_leaves_nothing(org, small_batches):
    good = csv_bytes([HEADER, *rows(250)])
    outcome = import_file(org.organisation, "responses", good + b"alpha,5,\xff,C,2026-03-01,x\n")
    assert [(e.row, e.field) for e in outcome.errors] == [(0, "")]
    assert "not UTF-8" in outcome.errors[0].message
    assert Response.objects.count() == 0 and not DirtyMark.objects.exists()
