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
    from feedback import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "import_file", broken)
    job = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="f.csv", content=b"data"
    )
    with pytest.raises(RuntimeError):
        tasks.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.is_finished and bytes(job.content) == b""
    assert "unexpected error" in job.errors[0]["message"]
