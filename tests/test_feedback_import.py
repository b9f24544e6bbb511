"""Importing files: CSV with comma or semicolon, with or without BOM, and XLSX; every row checked
first, one bad row and nothing is imported; the upload page runs it as a task and shows progress."""

import io
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from feedback.imports import import_file
from feedback.models import ImportJob, Interaction, Response

HEADER = "team,score,comment,customer_ref,submitted_at,external_id"


def csv_bytes(lines, delimiter=",", bom=False):
    text = "\n".join(line.replace(",", delimiter) for line in lines) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


GOOD = [HEADER, "alpha,9,Top,C1,2026-03-01 10:00,a1", "beta,2,Wachttijd te lang,C2,2026-03-02,a2"]


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(",", False), (";", False), (",", True), (";", True)]
)
def test_csv_with_comma_or_semicolon_with_or_without_bom(org, delimiter, bom):
    outcome = import_file(org.organisation, "responses", csv_bytes(GOOD, delimiter, bom), "f.csv")
    assert outcome.ok, outcome.errors
    assert outcome.result.created == 2
    assert set(Response.objects.values_list("score", flat=True)) == {9, 2}


def test_xlsx_with_typed_cells(org):
    import datetime as dt

    book = Workbook()
    sheet = book.active
    sheet.append(["Team", "Score", "Comment", "customer_ref", "submitted_at", "external_id"])
    sheet.append(["alpha", 7, "Prima", "C1", dt.datetime(2026, 3, 1, 9, 30), 12345])
    sheet.append(["beta", 10.0, None, None, dt.date(2026, 3, 2), None])
    sheet.append([None, None, None, None, None, None])  # an empty row is skipped
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = import_file(org.organisation, "responses", buffer.getvalue(), "f.xlsx")
    assert outcome.ok, outcome.errors
    assert Response.objects.get(external_id="12345").score == 7
    assert Response.objects.get(score=10).comment == ""


def test_one_bad_row_among_thousands_imports_nothing_and_is_named(org):
    lines = [HEADER] + [f"alpha,{n % 11},,C{n},2026-03-01 10:00,id{n}" for n in range(5000)]
    lines[3172] = "alpha,twelve,,C,2026-03-01 10:00,bad"
    outcome = import_file(org.organisation, "responses", csv_bytes(lines), "big.csv")
    assert not outcome.ok
    assert [(e.row, e.field) for e in outcome.errors] == [(3173, "score")]
    assert Response.objects.count() == 0


def test_all_errors_are_collected_but_only_the_first_ones_kept(org):
    lines = [HEADER] + ["nope,99,,C,never,"] * 300
    outcome = import_file(org.organisation, "responses", csv_bytes(lines), "bad.csv")
    assert outcome.error_count == 900
    assert len(outcome.errors) == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xff\xfe\x00t\x00e", "not UTF-8"),
        (b"team,score\nalpha,5\n", "required but missing"),
        (b"team,scroe,submitted_at\nalpha,5,2026-01-01\n", "Unknown column"),
        (b"team,team,submitted_at\n", "appears twice"),
        (b"team,score,submitted_at\n", "no rows below its header"),
        (b"team,score,submitted_at\nalpha,5,2026-01-01,extra\n", "More values than"),
        (b"PK\x03\x04garbage", "not a readable XLSX"),
    ],
)
def test_broken_files_get_a_clear_message(org, data, message):
    outcome = import_file(org.organisation, "responses", data, "f.csv")
    assert not outcome.ok
    assert any(message in e.message for e in outcome.errors), outcome.errors
    assert Response.objects.count() == 0


def test_importing_the_same_file_twice_counts_once(org):
    data = csv_bytes(GOOD)
    import_file(org.organisation, "responses", data)
    outcome = import_file(org.organisation, "responses", data)
    assert (outcome.result.created, outcome.result.duplicates) == (0, 2)
    assert Response.objects.count() == 2


def test_interactions_file(org):
    data = csv_bytes(
        [
            "team;customer_ref;occurred_at;is_error;external_id",
            "alpha;C1;2026-03-01 10:00;nee;i1",
            "alpha;C1;2026-03-05 10:00;ja;i2",
        ],
        delimiter=";",
    )
    assert import_file(org.organisation, "interactions", data).ok
    assert list(Interaction.objects.order_by("occurred_at").values_list("is_error", flat=True)) == [
        False,
        True,
    ]


def test_command_reports_rows_and_changes_nothing_on_error(org, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, "alpha,9,,C,2026-03-01,", "zeta,5,,C,2026-03-01,"]))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_feedback", str(bad), org="acme", kind="responses", stderr=err)
    assert "row 3, column team: No team with slug “zeta”." in err.getvalue()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD, ";", bom=True))
    out = StringIO()
    call_command("import_feedback", str(good), org="acme", kind="responses", stdout=out)
    assert "Imported 2 responses" in out.getvalue()


def test_upload_page_imports_through_the_task_and_shows_the_result(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org.manager)
    upload = SimpleUploadedFile("feedback.csv", csv_bytes(GOOD), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"kind": "responses", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "done" and job.rows_created == 2 and bytes(job.content) == b""
    page = client.get(response["Location"]).content.decode()
    assert "2 rows imported." in page
    assert "hx-trigger" not in page  # finished: no more polling


def test_upload_page_lists_every_bad_row(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.manager)
    data = csv_bytes([HEADER, "alpha,11,,C,2026-03-01,", "omega,5,,C,2026-03-01,"])
    upload = SimpleUploadedFile("bad.csv", data, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"kind": "responses", "file": upload})
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page
    assert "No team with slug “omega”." in page and "from 0 to 10" in page
    assert Response.objects.count() == 0


def test_progress_is_polled_with_htmx_while_the_import_runs(client, org):
    job = ImportJob.objects.create(
        organisation=org.organisation,
        kind="responses",
        filename="big.csv",
        content=b"x",
        status="validating",
        rows_total=1000,
        rows_checked=250,
    )
    client.force_login(org.manager)
    full = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in full and "<html" in full
    fragment = client.get(f"/imports/{job.pk}/", headers={"hx-request": "true"})
    assert fragment.content.decode().startswith('<section id="import-progress"')
    assert "HX-Request" in fragment["Vary"]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [("notes.pdf", b"%PDF", "Upload a .csv or .xlsx file."), ("", b"", "")],
)
def test_upload_form_refuses_other_files(client, org, filename, content, message):
    client.force_login(org.manager)
    data = {"kind": "responses"}
    if filename:
        data["file"] = SimpleUploadedFile(filename, content)
    response = client.post("/imports/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_unexpected_error_ends_the_job_instead_of_leaving_it_polling(org, monkeypatch):
    from feedback import imports, tasks

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "import_file", broken)
    job = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="f.csv", content=b"data"
    )
    with pytest.raises(RuntimeError):
        tasks.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.is_finished and bytes(job.content) == b""
    assert "unexpected error" in job.errors[0]["message"]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_despite_line_breaks_in_cells(org):
    data = csv_bytes([HEADER, 'alpha,9,"Twee\nregels",C,2026-03-01,', "alpha,99,,C,2026-03-01,"])
    outcome = import_file(org.organisation, "responses", data)
    assert [(e.row, e.field) for e in outcome.errors] == [(3, "score")]


def test_a_nul_in_a_column_name_is_reported_not_stored(org):
    data = b"team,sc\x00ore,submitted_at\nalpha,5,2026-03-01\n"
    outcome = import_file(org.organisation, "responses", data)
    assert outcome.ok and Response.objects.get().score == 5


def test_the_progress_bar_knows_the_size_of_the_file_from_the_start(org, monkeypatch):
    from feedback import imports

    lines = [HEADER] + [f"alpha,{n % 11},,C{n},2026-03-01 10:00,p{n}" for n in range(12000)]
    job = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="p.csv", content=csv_bytes(lines)
    )
    seen = []
    real = imports.import_file
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 3000)

    def watched(*args, progress, **kwargs):
        def spy(rows_checked):
            progress(rows_checked)
            polled = ImportJob.objects.get(pk=job.pk)  # what the page sees meanwhile
            seen.append((polled.status, polled.rows_total, polled.percent))

        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(imports, "import_file", watched)
    assert imports.run_job(job) == "done"
    assert seen[0] == ("validating", 12000, 25)
    assert [percent for _status, _total, percent in seen[:4]] == [25, 50, 75, 99]
    assert seen[-1][0] == "writing"
    job.refresh_from_db()
    assert (job.rows_total, job.rows_created, job.percent) == (12000, 12000, 100)


def test_the_rows_and_the_done_state_are_stored_together(org, monkeypatch):
    from feedback import imports

    job = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="f.csv", content=csv_bytes(GOOD)
    )

    def crash_while_saving(self, *args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(ImportJob, "save", crash_while_saving)
    with pytest.raises(RuntimeError):
        imports.run_job(job)
    assert Response.objects.count() == 0  # a redelivery will not import them twice


def test_the_sweeper_resends_waiting_uploads_and_ends_abandoned_ones(org, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from feedback import tasks

    old = timezone.now() - dt.timedelta(hours=2)
    waiting = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="w.csv", content=csv_bytes(GOOD)
    )
    abandoned = ImportJob.objects.create(
        organisation=org.organisation,
        kind="responses",
        filename="a.csv",
        content=b"x",
        status="writing",
    )
    ImportJob.objects.update(created_at=old)
    assert tasks.sweep_stale_imports() == 1
    waiting.refresh_from_db()
    abandoned.refresh_from_db()
    assert waiting.status == "done"  # sent again, and (in-process here) imported
    assert abandoned.status == "failed" and bytes(abandoned.content) == b""


def test_an_upload_is_accepted_while_the_broker_is_away(
    client, org, django_capture_on_commit_callbacks
):
    from tests.conftest import broker_unreachable

    client.force_login(org.manager)
    upload = SimpleUploadedFile("feedback.csv", csv_bytes(GOOD), content_type="text/csv")
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"kind": "responses", "file": upload})
    assert response.status_code == 302
    assert ImportJob.objects.get().status == "queued"  # the sweeper sends it later
