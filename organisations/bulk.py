"""PostgreSQL's COPY, the bulk path for writes of many rows (ingest, the rollup rebuild): rows
are written in COPY's text format, which is much faster than adapting value by value."""

from datetime import datetime

from django.db import connection

COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


# Lines go to the server a few hundred at a time: while a producer still reads and checks the
# next rows (an import), the server is storing the ones before, on another core.
COPY_BATCH = 250


def copy_text(value) -> str:
    """One value in COPY's text format; much faster than adapting row by row."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(COPY_ESCAPES)
    return text


NULL = "\\N"


def copy_lines(table: str, columns: list[str], lines) -> None:
    """COPY lines already in COPY's text format, in batches."""
    # Django does not wrap psycopg's copy(); without this a unique violation from a concurrent
    # writer would escape as psycopg's error instead of Django's IntegrityError.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            batch = []
            for line in lines:
                batch.append(line)
                if len(batch) == COPY_BATCH:
                    copy.write("\n".join(batch) + "\n")
                    batch = []
            if batch:
                copy.write("\n".join(batch) + "\n")


def copy_rows(table: str, columns: list[str], tuples) -> None:
    """COPY rows of values of any type."""
    copy_lines(table, columns, ("\t".join(map(copy_text, values)) for values in tuples))
