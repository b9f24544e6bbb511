"""Importing a file of responses or interactions: every row checked first, then all or nothing.

Used by ``manage.py import_feedback`` and by the upload page's Celery task.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from feedback import ingest
from feedback.models import Source
from feedback.rows import COLUMNS, RowError, RowValidator
from feedback.spreadsheets import EXTRA, FileProblem, read_table

MAX_ERRORS_KEPT = 200
PROGRESS_EVERY = 5000


@dataclass
class ImportOutcome:
    rows_total: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    result: ingest.StoreResult | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.result is not None


def import_file(organisation, kind: str, data: bytes, filename: str = "", *, progress=None):
    """Read, validate and (only if every row is good) store a file.

    ``progress(rows_checked)`` is called now and then while rows are checked, and with
    ``None`` once writing starts.
    """
    outcome = ImportOutcome()

    def problem(row, column, message):
        outcome.error_count += 1
        if len(outcome.errors) < MAX_ERRORS_KEPT:
            outcome.errors.append(RowError(row, column, message))

    try:
        header, rows = read_table(data, filename)
        validator = RowValidator(organisation, kind)
        for column in validator.missing_columns(header):
            problem(1, column, _("This column is required but missing."))
        for column in validator.unknown_columns(header):
            problem(
                1,
                column,
                _("Unknown column. Expected: %(columns)s.") % {"columns": ", ".join(COLUMNS[kind])},
            )
        if outcome.error_count:
            return outcome
        clean = []
        for number, row in rows:
            outcome.rows_total += 1
            if EXTRA in row:
                row.pop(EXTRA)
                problem(number, "", _("More values than there are columns."))
            good, errors = validator.validate(row, number)
            for error in errors:
                problem(error.row, error.field, error.message)
            if good is not None:
                clean.append(good)
            if progress and outcome.rows_total % PROGRESS_EVERY == 0:
                progress(outcome.rows_total)
    except FileProblem as exc:
        problem(0, "", str(exc))
        return outcome
    if outcome.error_count:
        return outcome
    if not clean:
        problem(0, "", _("The file has no rows below its header."))
        return outcome
    if progress:
        progress(None)
    outcome.result = ingest.STORE[kind](organisation, clean, source=Source.IMPORT)
    return outcome
