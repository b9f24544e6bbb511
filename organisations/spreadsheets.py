"""Reading uploaded tables: CSV (comma or semicolon, UTF-8 with or without BOM) and XLSX.

Every file is treated as hostile: an XLSX is a zip whose parts are checked (uncompressed size,
compression ratio) before anything unpacks them, its declared dimension is ignored, reading
stops after a long run of empty rows, and both kinds are held to the same caps on columns, rows,
cell length and total cells, each refused with a message that says which cap and where.
"""

import csv
import io
import zipfile

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import load_workbook

XLSX_MAGIC = b"PK\x03\x04"

# Caps, far above any real import of feedback (a handful of columns, comments of at most 5,000
# characters) and far below what would tie up a worker or its memory.
MAX_COLUMNS = 50
MAX_ROWS = 1_000_000
MAX_CELL_CHARACTERS = 10_000
MAX_LINE_CHARACTERS = 100_000
MAX_CELLS = 10_000_000
MAX_EMPTY_RUN = 1_000  # reading stops after this many empty rows in a row
# Zip parts, checked from the zip's directory before anything is unpacked (zipfile itself
# refuses a part that unpacks to more than its directory says).
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024  # held in memory whole while the sheet is read
MAX_TOTAL_BYTES = 128 * 1024 * 1024
MAX_RATIO = 100


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why, for the person."""


def read_table(data: bytes, filename: str = ""):
    """Return (header, rows): the lower-cased column names and an iterator of
    (spreadsheet row number, {column: value}) for every non-empty row after the header."""
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes):
    # Decoded as it is read, a block at a time: the whole text decoded at once (and copied into
    # a StringIO, four bytes a character) would hold several times the file in memory.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    try:
        first_line = stream.readline()
        stream.seek(0)
    except UnicodeDecodeError:
        raise _not_utf8(data) from None
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem(_("The file is empty.")) from None
    except UnicodeDecodeError:
        raise _not_utf8(data) from None
    except csv.Error as exc:
        raise FileProblem(_("The file is not valid CSV: %(error)s") % {"error": exc}) from None
    _check_columns(1, header)
    _check_line(1, header)
    header = _header(header)

    def rows():
        # Rows as a spreadsheet numbers them (the header is row 1), whatever line breaks
        # there are inside quoted cells.
        number = 1
        caps = _Caps()
        width = len(header)
        try:
            for number, cells in enumerate(reader, start=2):
                caps.count(number, cells)
                if not "".join(cells).strip():
                    continue
                # CSV cells are all text: the caps on cell and line length, in two calls.
                if max(map(len, cells)) > MAX_CELL_CHARACTERS or (
                    sum(map(len, cells)) > MAX_LINE_CHARACTERS
                ):
                    _check_line(number, cells)  # raises, saying which cap
                if len(cells) <= width:
                    yield number, dict(zip(header, cells, strict=False))
                else:
                    yield number, _row(header, cells)
        except csv.Error as exc:
            raise FileProblem(
                _("Row %(row)s is not valid CSV: %(error)s") % {"row": number + 1, "error": exc}
            ) from None
        except UnicodeDecodeError:
            raise _not_utf8(data) from None

    return header, rows()


def _not_utf8(data: bytes) -> FileProblem:
    """The problem with a file that is not UTF-8, naming the first byte that is not."""
    try:
        data.decode("utf-8-sig")  # only on the way out of a bad file, for the byte's place
        position = len(data)
    except UnicodeDecodeError as exc:
        position = exc.start
    return FileProblem(
        _("The file is not UTF-8 text (byte %(position)s). Save it as CSV UTF-8 or XLSX.")
        % {"position": position + 1}
    )


def _read_xlsx(data: bytes):
    def unreadable(exc):
        return FileProblem(
            _("The file is not a readable XLSX workbook (%(error)s).")
            % {"error": exc.__class__.__name__}
        )

    _check_zip(data)
    # openpyxl raises many kinds of errors for damaged files (zip, XML, missing parts): any
    # failure to read the workbook is a problem with the file, reported as such.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The dimension the file declares (say A1:XFD1048576) would make the reader fill out
        # every row to 16,384 cells: only the cells that are there are read.
        sheet.reset_dimensions()
        lines = sheet.iter_rows(values_only=True)
        first = next(lines)
    except StopIteration:
        raise FileProblem(_("The first sheet is empty.")) from None
    except FileProblem:
        raise
    except Exception as exc:
        raise unreadable(exc) from None
    _check_columns(1, first)
    header = _header(["" if cell is None else str(cell) for cell in first])

    def rows():
        number = 1
        empty_run = 0
        caps = _Caps()
        try:
            for number, cells in enumerate(lines, start=2):
                caps.count(number, cells)
                if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                    empty_run += 1
                    if empty_run >= MAX_EMPTY_RUN:
                        break  # the table has ended; nothing far below it is read
                    continue
                empty_run = 0
                _check_line(number, cells)
                yield number, _row(header, cells)
        except FileProblem:
            raise
        except Exception as exc:
            raise unreadable(exc) from None
        finally:
            workbook.close()

    return header, rows()


def _check_zip(data: bytes) -> None:
    """Refuse a workbook whose parts would unpack to too much, judged from the zip's directory
    before anything is unpacked: a few hundred kilobytes can hold hundreds of megabytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileProblem(
            _("The file is not a readable XLSX workbook (%(error)s).")
            % {"error": exc.__class__.__name__}
        ) from None
    too_big = FileProblem(
        _(
            "The workbook unpacks to more than %(megabytes)s MB; split it into smaller files "
            "or save it as CSV."
        )
        % {"megabytes": MAX_TOTAL_BYTES // (1024 * 1024)}
    )
    for part in parts:
        limit = (
            MAX_SHARED_STRINGS_BYTES
            if part.filename.lower().endswith("sharedstrings.xml")
            else MAX_PART_BYTES
        )
        if part.file_size > limit:
            raise FileProblem(
                _(
                    "Part %(part)s of the workbook unpacks to more than %(megabytes)s MB; split "
                    "it into smaller files or save it as CSV."
                )
                % {"part": part.filename[:100], "megabytes": limit // (1024 * 1024)}
            )
        if part.file_size > MAX_RATIO * max(part.compress_size, 1024):
            raise FileProblem(
                _(
                    "Part %(part)s of the workbook unpacks to more than %(ratio)s times its "
                    "packed size, which no ordinary spreadsheet does; the file is refused."
                )
                % {"part": part.filename[:100], "ratio": MAX_RATIO}
            )
    if sum(part.file_size for part in parts) > MAX_TOTAL_BYTES:
        raise too_big


class _Caps:
    """Counts rows and cells as they are read, and refuses the file past the caps."""

    def __init__(self):
        self.cells = 0

    def count(self, number: int, cells) -> None:
        if number > MAX_ROWS:
            raise FileProblem(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": number_format(MAX_ROWS, force_grouping=True)}
            )
        _check_columns(number, cells)
        self.cells += len(cells)
        if self.cells > MAX_CELLS:
            raise FileProblem(
                _("The file has more than %(max)s cells (at row %(row)s); split it.")
                % {"max": number_format(MAX_CELLS, force_grouping=True), "row": number}
            )


def _check_columns(number: int, cells) -> None:
    if len(cells) <= MAX_COLUMNS:
        return
    # Empty cells past the last column say nothing; a value there is refused.
    if any(cell not in (None, "") for cell in list(cells)[MAX_COLUMNS:]):
        raise FileProblem(
            _("Row %(row)s has more than %(max)s columns.") % {"row": number, "max": MAX_COLUMNS}
        )


def _check_line(number: int, cells) -> None:
    total = 0
    for cell in cells:
        length = len(cell) if isinstance(cell, str) else 0
        if length > MAX_CELL_CHARACTERS:
            raise FileProblem(
                _("Row %(row)s has a cell of more than %(max)s characters.")
                % {"row": number, "max": number_format(MAX_CELL_CHARACTERS, force_grouping=True)}
            )
        total += length
    if total > MAX_LINE_CHARACTERS:
        raise FileProblem(
            _("Row %(row)s is longer than %(max)s characters.")
            % {"row": number, "max": number_format(MAX_LINE_CHARACTERS, force_grouping=True)}
        )


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
