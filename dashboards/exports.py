"""Downloads of what a person may see: KPI series and comments, as CSV or XLSX.

Text cells that a spreadsheet would read as a formula (=, +, -, @, tab, carriage return at the
start) get a leading apostrophe, so a customer's comment can never run as a formula on a
colleague's computer. Numbers stay numbers.
"""

import csv
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dashboards.models import MarkKind
from feedback import privacy

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def kpi_columns():
    return [
        _("team"),
        _("period"),
        _("period start"),
        _("scores"),
        _("promoters"),
        _("passives"),
        _("detractors"),
        _("NPS"),
        _("NPS low"),
        _("NPS high"),
        _("interactions"),
        _("errors"),
        _("error rate %"),
        _("error rate low"),
        _("error rate high"),
        _("customers"),
        _("returning customers"),
        _("returning %"),
    ]


def kpi_rows(scope_name, series):
    for entry in series:
        yield [
            scope_name,
            entry["label"],
            entry["period_start"],
            entry["responses"],
            entry["promoters"],
            entry["passives"],
            entry["detractors"],
            entry["nps"]["value"],
            entry["nps"]["low"],
            entry["nps"]["high"],
            entry["interactions"],
            entry["errors"],
            entry["error_rate"]["value"],
            entry["error_rate"]["low"],
            entry["error_rate"]["high"],
            entry["customers"],
            entry["returning_customers"],
            entry["returning_rate"]["value"],
        ]


def comment_columns():
    return [
        _("team"),
        _("submitted"),
        _("score"),
        _("comment"),
        _("themes"),
        _("read by"),
        _("acted upon by"),
    ]


def comment_rows(comments, zone):
    """Rows for comments (a queryset with themes and marks prefetched), read in chunks."""
    for response in comments.iterator(chunk_size=2000):
        marks = list(response.marks.all())
        yield [
            response.team.name,
            timezone.localtime(response.submitted_at, zone).replace(tzinfo=None),
            response.score,
            privacy.spoken(response.comment),
            ", ".join(theme.name for theme in response.themes.all()),
            sum(1 for mark in marks if mark.kind == MarkKind.READ),
            ", ".join(str(mark.user) for mark in marks if mark.kind == MarkKind.ACTED),
        ]


class _Echo:
    def write(self, value):
        return value


def csv_response(filename, header, rows):
    """Streams: a large export never sits in memory. UTF-8 with a BOM so that
    Excel opens accents correctly."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell_text(neutralise(value)) for value in row])

    response = StreamingHttpResponse(lines(), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _cell_text(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return value


def xlsx_response(filename, sheet_title, header, rows):
    """Written row by row (openpyxl's write-only mode) into a temporary file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE
    )


def _xlsx_cell(value):
    # Rows stored before ingest dropped control characters may still hold some; Excel
    # cannot, so they go here rather than failing the whole download.
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def as_bytes(response) -> bytes:
    """The body of an export response (for tests and e-mail attachments)."""
    if getattr(response, "streaming", False):
        parts = response.streaming_content
        return b"".join(part if isinstance(part, bytes) else part.encode() for part in parts)
    return response.content
