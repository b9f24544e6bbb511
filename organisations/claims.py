"""Claiming background work before it runs, so that a message delivered twice, a sweeper's
resend or a retried task does the work once. On PostgreSQL the claim is a session lock held
while the work runs: when a worker is killed its connection ends and PostgreSQL lets go, so
the next delivery can take the work over instead of waiting for a timeout."""

from contextlib import contextmanager

from django.db import connection

# The second key of each kind of work (the first is the row's or the organisation's id). The
# rollups use 0 and the re-tag batches -1 as transaction locks (kpis.rollups, feedback.themes).
IMPORT = -2
RETAG = -3


@contextmanager
def claimed(kind: int, key: int):
    """True while this process holds the claim on (kind, key), False when another one does.
    Elsewhere than on PostgreSQL (the embedded default, tasks in-process) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [key, kind])
        ours = cursor.fetchone()[0]
    try:
        yield ours
    finally:
        if ours and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [key, kind])


def is_claimed(kind: int, key: int) -> bool:
    """Does a live process hold the claim? (For sweepers: work claimed by a worker that was
    killed is free again.)"""
    with claimed(kind, key) as ours:
        return not ours and connection.vendor == "postgresql"
