"""Reading uploaded tables: CSV (comma or semicolon, UTF-8 with or without BOM) and XLSX."""

import csv
import io

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why, for the person."""


def read_table(data: bytes, filename: str = ""):
    """Return (header, rows): the lower-cased column names and an iterator of
    (spreadsheet row number, {column: value}) for every non-empty row after the header."""
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("The file is not UTF-8 text (byte %(position)s). Save it as CSV UTF-8 or XLSX.")
            % {"position": exc.start + 1}
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem(_("The file is empty.")) from None
    except csv.Error as exc:
        raise FileProblem(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
    header = _header(header)

    def rows():
        # Rows as a spreadsheet numbers them (the header is row 1), whatever line breaks
        # there are inside quoted cells.
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                yield number, _row(header, cells)
        except csv.Error as exc:
            raise FileProblem(
                _("Row %(row)s is not valid CSV: %(error)s") % {"row": number + 1, "error": exc}
            ) from None

    return header, rows()


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    def unreadable(exc):
        return FileProblem(
            _("The file is not a readable XLSX workbook (%(error)s).")
            % {"error": exc.__class__.__name__}
        )

    # openpyxl raises many kinds of errors for damaged files (zip, XML, missing parts): any
    # failure to read the workbook is a problem with the file, reported as such.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        first = next(lines)
    except StopIteration:
        raise FileProblem(_("The first sheet is empty.")) from None
    except Exception as exc:
        raise unreadable(exc) from None
    header = _header(["" if cell is None else str(cell) for cell in first])

    def rows():
        number = 1
        try:
            for number, cells in enumerate(lines, start=2):
                if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                    continue
                yield number, _row(header, cells)
        except Exception as exc:
            raise unreadable(exc) from None
        finally:
            workbook.close()

    return header, rows()


def _header(cells) -> list[str]:
    header = [str(cell).replace("\x00", "").strip().lower() for cell in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileProblem(_("The first row must name the columns."))
    seen = set()
    for column in header:
        if column in seen:
            raise FileProblem(_("Column “%(column)s” appears twice.") % {"column": column})
        seen.add(column)
    return header


EXTRA = "__extra__"


def _row(header, cells) -> dict:
    row = dict(zip(header, cells, strict=False))
    extra = [cell for cell in list(cells)[len(header) :] if cell not in (None, "")]
    if extra:
        row[EXTRA] = extra
    return row
