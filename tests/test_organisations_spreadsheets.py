"""Hostile spreadsheets: files built to tie up a worker or exhaust its memory are refused fast,
in little memory, with a message that says why; ordinary files still read as before."""

import io
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from feedback.imports import import_file
from feedback.models import Response
from organisations import spreadsheets
from organisations.spreadsheets import FileProblem, read_table

HEADER = ["team", "score", "comment", "customer_ref", "submitted_at", "external_id"]
MEGABYTE = 1024 * 1024


def workbook_bytes(*rows, at=None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for (row, column), value in (at or {}).items():
        sheet.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{RELATIONSHIPS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def hand_built_xlsx(dimension, rows_xml, shared_strings) -> bytes:
    """An XLSX written part by part, as a hostile tool would: ``shared_strings`` is a list of
    chunks (written one at a time, so a huge string never sits in this process's memory)."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for chunk in shared_strings:
                part.write(chunk)
            part.write(b"</sst>")
    return out.getvalue()


def string_cells(row, *indexes) -> str:
    cells = "".join(
        f'<c r="{column}{row}" t="s"><v>{index}</v></c>'
        for column, index in zip("ABCDEF", indexes, strict=False)
    )
    return f'<row r="{row}">{cells}</row>'


def shared(*texts):
    return [f"<si><t>{text}</t></si>".encode() for text in texts]


def one_row_at_the_bottom_declaring_every_cell() -> bytes:
    """A header, one row at row 1,048,576 and a declared dimension A1:XFD1048576 (~1.6 KB)."""
    return hand_built_xlsx(
        "A1:XFD1048576",
        string_cells(1, 0, 1, 2, 3, 4, 5) + string_cells(1_048_576, 6, 6, 6, 6, 6, 6),
        shared(*HEADER, "alpha"),
    )


def one_huge_shared_string(megabytes=200) -> bytes:
    """A header and one row whose comment is a shared string of ``megabytes`` MB (~200 KB)."""
    chunks = [*shared(*HEADER, "alpha", "9"), b"<si><t>"]
    chunks += [b"a" * MEGABYTE] * megabytes
    chunks.append(b"</t></si>")
    return hand_built_xlsx(
        "A1:F2", string_cells(1, 0, 1, 2, 3, 4, 5) + string_cells(2, 6, 7, 8), chunks
    )


def read_all(data, filename="f.xlsx"):
    header, rows = read_table(data, filename)
    return header, list(rows)


def measured(call):
    """(seconds, peak bytes of Python memory) of ``call()``, which must raise FileProblem."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FileProblem) as problem:
            call()
        return time.perf_counter() - started, tracemalloc.get_traced_memory()[1], problem.value
    finally:
        tracemalloc.stop()


def test_a_row_at_the_bottom_with_a_declared_dimension_of_every_cell_is_not_walked(org):
    data = one_row_at_the_bottom_declaring_every_cell()
    assert len(data) < 3_000
    seconds, peak, problem = measured(
        lambda: import_and_raise(org, data)  # the whole import path, as a worker runs it
    )
    assert seconds < 1.0
    assert peak < 100 * MEGABYTE
    # Reading stopped a thousand empty rows below the header: the row far below is not read.
    assert "no rows below its header" in str(problem)
    assert Response.objects.count() == 0


def import_and_raise(org, data):
    outcome = import_file(org.organisation, "responses", data, "f.xlsx")
    assert not outcome.ok
    raise FileProblem(" / ".join(error.message for error in outcome.errors))


def test_a_shared_string_of_200_megabytes_is_refused_before_it_is_unpacked(org):
    data = one_huge_shared_string()
    assert len(data) < 1 * MEGABYTE
    seconds, peak, problem = measured(lambda: import_and_raise(org, data))
    assert seconds < 1.0
    assert peak < 100 * MEGABYTE
    assert "sharedStrings.xml" in str(problem)
    assert Response.objects.count() == 0


def test_reading_stops_after_a_long_run_of_empty_rows():
    data = workbook_bytes(HEADER, ["alpha", 9], at={(5_000, 1): "beta"})
    header, rows = read_all(data)
    assert header == HEADER
    assert [number for number, _row in rows] == [2]


def test_a_gap_shorter_than_the_run_is_read_through():
    data = workbook_bytes(HEADER, ["alpha", 9], at={(500, 1): "beta"})
    _header, rows = read_all(data)
    assert [number for number, _row in rows] == [2, 500]


def test_a_value_past_the_last_column_allowed_is_refused_with_its_row():
    data = workbook_bytes(HEADER, ["alpha"], at={(3, 16_384): "far away"})
    with pytest.raises(FileProblem, match="Row 3 has more than 50 columns"):
        read_all(data)


def test_a_long_cell_is_refused_with_its_row():
    data = workbook_bytes(HEADER, ["alpha", 9, "x" * 20_000])
    with pytest.raises(FileProblem, match="Row 2 has a cell of more than 10,000 characters"):
        read_all(data)


def test_csv_has_the_same_caps():
    many_columns = ",".join(HEADER) + "\n" + ",".join(["v"] * 60) + "\n"
    with pytest.raises(FileProblem, match="Row 2 has more than 50 columns"):
        read_all(many_columns.encode(), "f.csv")
    long_cell = ",".join(HEADER) + "\nalpha,9," + "x" * 20_000 + "\n"
    with pytest.raises(FileProblem, match="Row 2 has a cell of more than"):
        read_all(long_cell.encode(), "f.csv")
    long_line = ",".join(HEADER) + "\n" + ",".join(["y" * 9_000] * 12) + "\n"
    with pytest.raises(FileProblem, match="Row 2 is longer than 100,000 characters"):
        read_all(long_line.encode(), "f.csv")


def test_rows_and_cells_are_capped(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 10)
    lines = ",".join(HEADER) + "\n" + "alpha,9\n" * 20
    with pytest.raises(FileProblem, match="more than 10 rows"):
        read_all(lines.encode(), "f.csv")
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 1_000)
    monkeypatch.setattr(spreadsheets, "MAX_CELLS", 30)
    with pytest.raises(FileProblem, match="more than 30 cells"):
        read_all(lines.encode(), "f.csv")


def test_a_part_packed_far_tighter_than_any_spreadsheet_is_refused():
    padding = [b" " * MEGABYTE] * 10
    data = hand_built_xlsx("A1:A1", string_cells(1, 0), [*shared("team"), *padding])
    with pytest.raises(FileProblem, match="more than 100 times its packed size"):
        read_all(data)
