"""Transactions that meet another one: PostgreSQL throws one of two away when they deadlock or
cannot be serialised, and a concurrent writer can store the same key first. Such a transaction
is tried again, a bounded number of times, after a random pause so the two do not meet again."""

import functools
import logging
import random
import time

from django.db import IntegrityError, OperationalError, connection

logger = logging.getLogger(__name__)

# SQLSTATE of "deadlock detected" and "could not serialize access".
TRANSIENT_STATES = {"40P01", "40001"}
ATTEMPTS = 5
FIRST_PAUSE = 0.05  # seconds, doubled on every try, each pause a random part of it


def is_transient(exc) -> bool:
    """Did PostgreSQL throw the transaction away only because it met another one?"""
    while exc is not None:
        if getattr(exc, "sqlstate", None) in TRANSIENT_STATES:
            return True
        exc = exc.__cause__
    return False


def retried(function=None, *, attempts: int = ATTEMPTS, duplicates: bool = False):
    """Run ``function`` (which opens its own transaction) again after a deadlock or a
    serialization failure, and with ``duplicates`` after a unique key a concurrent writer stored
    first; at most ``attempts`` times in all. Inside an enclosing transaction a retry could not
    undo what came before, so there it runs once and the error goes to the caller."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return function(*args, **kwargs)
                except (OperationalError, IntegrityError) as exc:
                    duplicate = duplicates and isinstance(exc, IntegrityError)
                    if connection.in_atomic_block or attempt == attempts:
                        raise
                    if not (duplicate or is_transient(exc)):
                        raise
                    pause = random.uniform(0, FIRST_PAUSE * 2 ** (attempt - 1))  # noqa: S311
                    logger.info(
                        "%s met a concurrent transaction (%s); try %d of %d in %.2f s",
                        function.__qualname__,
                        exc.__class__.__name__,
                        attempt + 1,
                        attempts,
                        pause,
                    )
                    time.sleep(pause)
            raise AssertionError("unreachable")

        return wrapper

    return decorate(function) if function is not None else decorate


EXTERNAL_IDS = -4  # the second key of an organisation's lock on writing rows with external ids


def take_turns_on_external_ids(organisation, external_ids) -> None:
    """Writers of rows with external ids in one organisation take turns until they commit (on
    PostgreSQL), so each sees what the one before it stored and skips it: two overlapping
    batches can neither both store a row nor fail on each other's. Rows without one (most
    imports) never wait."""
    if connection.vendor == "postgresql" and any(external_ids):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [organisation.pk, EXTERNAL_IDS])
