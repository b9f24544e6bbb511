"""Importing a file of responses or interactions: every row checked first, then all or nothing.

Used by ``manage.py import_feedback`` and by the upload page's Celery task.
"""

import datetime as dt
import io
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import ingest
from feedback.models import ImportJob, Source
from feedback.rows import COLUMNS, RowError, RowValidator
from organisations.claims import IMPORT, is_claimed
from organisations.spreadsheets import EXTRA, XLSX_MAGIC, FileProblem, read_table

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


def import_file(
    organisation, kind: str, data: bytes, filename: str = "", *, progress=None, on_stored=None
):
    """Read, validate and (only if every row is good) store a file.

    One pass in one transaction: rows are read, checked and written in batches of
    PROGRESS_EVERY, so memory stays bounded however long the file is; the first bad row stops
    the writing, the rest is still checked (every problem is listed) and the transaction is
    rolled back, so a bad file changes nothing. ``progress(rows_checked)`` is called after
    every batch, and with ``None`` once the last row has been read (the rest is writing).
    ``on_stored(outcome)`` runs inside the transaction that stores the rows, so whatever it
    records commits with them or not at all.
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
        validate = validator.validate

        def good_rows():
            """The clean rows, checked as they are taken; none after the first bad one."""
            for number, row in rows:
                outcome.rows_total += 1
                if EXTRA in row:
                    row.pop(EXTRA)
                    problem(number, "", _("More values than there are columns."))
                good, errors = validate(row, number)
                for error in errors:
                    problem(error.row, error.field, error.message)
                if good is not None and not outcome.error_count:
                    yield good

        def between_batches():
            if progress and not outcome.error_count:
                progress(outcome.rows_total)

        with transaction.atomic():
            result = ingest.STREAM[kind](
                organisation,
                good_rows(),
                source=Source.IMPORT,
                external_ids="external_id" in header,
                batch_size=PROGRESS_EVERY,
                between_batches=between_batches,
            )
            if not outcome.error_count and not outcome.rows_total:
                problem(0, "", _("The file has no rows below its header."))
            if outcome.error_count:
                transaction.set_rollback(True)  # nothing of a bad file is kept
                return outcome
            if progress:
                progress(None)
            outcome.result = result
            if on_stored:
                on_stored(outcome)
    except FileProblem as exc:
        problem(0, "", str(exc))
    return outcome


def estimate_rows(data: bytes, filename: str = "") -> int:
    """About how many rows a file has, for the progress bar, without reading it all."""
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        try:
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
            return max((sheet.max_row or 1) - 1, 0)
        except Exception:
            return 0  # the import itself reports what is wrong with the file
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(lines - 1, 0)


UNEXPECTED = gettext_lazy(
    "The import stopped on an unexpected error; nothing was imported. We have been told."
)
# A job still "checking" or "importing" this long after it started was killed (the task's
# time limit is shorter).
STALE_AFTER = dt.timedelta(hours=1)
QUEUED_TOO_LONG = dt.timedelta(minutes=2)


RUNNING = (ImportJob.Status.VALIDATING, ImportJob.Status.WRITING)


def claim(job_id: int, *, taking_over: bool):
    """The job, now ``validating``, if it was waiting (or, ``taking_over`` from a worker that
    was killed, running); None if it is finished. A conditional update: of two deliveries of
    one job, one gets it."""
    states = [ImportJob.Status.QUEUED, *(RUNNING if taking_over else ())]
    taken = ImportJob.objects.filter(pk=job_id, status__in=states).update(
        status=ImportJob.Status.VALIDATING
    )
    if not taken:
        return None
    return ImportJob.objects.select_related("organisation").get(pk=job_id)


def run_job(job: ImportJob) -> str:
    """Run an uploaded file's import, keeping the job's state for the page that polls it."""
    jobs = ImportJob.objects.filter(pk=job.pk)
    jobs.update(
        status=ImportJob.Status.VALIDATING,
        rows_total=estimate_rows(bytes(job.content), job.filename),
    )
    with _progress_writer(job) as record:
        return _run_job(job, jobs, record)


@contextmanager
def _progress_writer(job):
    """A function recording the job's progress where the page sees it. The import writes in
    one transaction that is open while the rows are read; a worker (whose job was committed
    before it began) records progress through a connection of its own, so the page sees it
    meanwhile. Called inside a transaction (a test), or on SQLite (one writer at a time),
    progress is recorded in that transaction."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield lambda **fields: ImportJob.objects.filter(pk=job.pk).update(**fields)
        return
    side = connections.create_connection(connection.alias)
    table = ImportJob._meta.db_table

    def record(**fields):
        columns = ", ".join(f"{name} = %s" for name in fields)
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {columns} WHERE id = %s",  # noqa: S608 - our names
                [*fields.values(), job.pk],
            )

    try:
        yield record
    finally:
        side.close()


def _run_job(job, jobs, record) -> str:
    def progress(rows_checked):
        if rows_checked is None:
            record(status=ImportJob.Status.WRITING)
        else:
            record(rows_checked=rows_checked)

    def finish(outcome):
        job.rows_total = job.rows_checked = outcome.rows_total
        job.errors = [error.as_dict() for error in outcome.errors]
        job.error_count = outcome.error_count
        if outcome.ok:
            job.status = ImportJob.Status.DONE
            job.rows_created = outcome.result.created
            job.rows_duplicate = outcome.result.duplicates
        else:
            job.status = ImportJob.Status.FAILED
        job.content = b""  # the rows live in their tables now; the upload is not kept
        job.finished_at = timezone.now()
        job.save()

    data = bytes(job.content)
    job.content = b""  # one copy of the upload in memory, not two
    try:
        outcome = import_file(
            job.organisation,
            job.kind,
            data,
            job.filename,
            progress=progress,
            on_stored=finish,
        )
        if not outcome.ok:
            finish(outcome)
    except Exception:
        fail(jobs)  # never leave the page polling a job that will not finish
        raise
    return job.status


def fail(jobs) -> int:
    return jobs.update(
        status=ImportJob.Status.FAILED,
        errors=[{"row": 0, "field": "", "message": str(UNEXPECTED)}],
        error_count=1,
        content=b"",
        finished_at=timezone.now(),
    )


def stale_jobs(now=None, *, resend_after=QUEUED_TOO_LONG):
    """(jobs owed a resend: waiting too long for a worker, or left running by a killed one and
    not sent again lately; jobs a killed worker left unfinished for good)."""
    now = now or timezone.now()
    not_sent_lately = Q(resent_at__isnull=True) | Q(resent_at__lt=now - resend_after)
    waiting = ImportJob.objects.filter(
        not_sent_lately, status=ImportJob.Status.QUEUED, created_at__lt=now - resend_after
    )
    orphaned = ImportJob.objects.filter(
        not_sent_lately,
        status__in=RUNNING,
        created_at__lt=now - resend_after,
        created_at__gte=now - STALE_AFTER,
    )
    orphaned = [pk for pk in orphaned.values_list("pk", flat=True) if not is_claimed(IMPORT, pk)]
    owed = waiting | ImportJob.objects.filter(pk__in=orphaned)
    abandoned = ImportJob.objects.filter(status__in=RUNNING, created_at__lt=now - STALE_AFTER)
    return owed, abandoned


def mark_resent(job_id: int, owed) -> bool:
    """Claim the resend of one owed job (of two sweepers, one sends)."""
    return bool(owed.filter(pk=job_id).update(resent_at=timezone.now()))
