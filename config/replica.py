"""The read replica (DATABASE_REPLICA_URL): which request may read it, and the router that
sends its reads there. Writes, and everything outside a page request, use the primary.

The rule (README, "Growing past one machine"): a page reads the replica only when the replica
has replayed the primary's WAL up to where it was flushed when the request began — everything
committed before the request, every rollup included, is there. It may wait REPLICA_MAX_WAIT_MS
for that; a replica that is behind, down or not a standby leaves the page to the primary.
"""

import contextlib
import contextvars
import dataclasses
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import Error as DatabaseError

logger = logging.getLogger(__name__)

REPLICA = "replica"
# A person who may just have written reads the primary until this moment (Unix time).
WRITER_COOKIE = "kk_read_primary_until"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Not pages: the health check tests the primary itself; logging in, the admin and the
# password pages are about the person's own account and read it from the primary.
PRIMARY_PATHS = ("/healthz", "/admin/", "/accounts/", "/static/")
# Sessions, authentication and login throttling stay on the primary, whatever the request.
PRIMARY_APPS = {"sessions", "auth", "axes", "contenttypes", "admin"}
PRIMARY_MODELS = {"organisations.IntegrationToken"}
# Writes that are the request's own bookkeeping (a token's "last used"): they do not make the
# rest of the request read the primary.
BOOKKEEPING_MODELS = {"organisations.IntegrationToken", "sessions.Session"}

# Set after the replica failed: until then (time.monotonic()) this process does not try it.
_down_until = 0.0


@dataclasses.dataclass
class Reads:
    """This request's reads: from the replica or not, and whether it has written yet."""

    from_replica: bool = False
    wrote: bool = False


_reads: contextvars.ContextVar[Reads | None] = contextvars.ContextVar("reads", default=None)


def is_configured() -> bool:
    # A standby's WAL position only means something next to a PostgreSQL primary.
    return REPLICA in connections.settings and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def mark_down() -> None:
    global _down_until
    _down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    with contextlib.suppress(DatabaseError):  # it was broken already
        connections[REPLICA].close()


def primary_flush_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
        return cursor.fetchone()[0]


def replica_is_fresh() -> bool:
    """Whether the replica has replayed everything the primary had flushed by now, waiting
    up to REPLICA_MAX_WAIT_MS for it. False, quickly, when it is down or not a standby."""
    if time.monotonic() < _down_until:
        return False
    target = primary_flush_lsn()
    deadline = time.monotonic() + settings.REPLICA_MAX_WAIT_MS / 1000
    pause = 0.002
    try:
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                caught_up = cursor.fetchone()[0]
                if caught_up is None:  # not a standby (promoted, or misconfigured)
                    logger.warning("the read replica is not replaying a primary's WAL")
                    mark_down()
                    return False
                if caught_up:
                    return True
                if time.monotonic() + pause > deadline:
                    return False
                time.sleep(pause)
                pause *= 2
    except DatabaseError:
        logger.warning(
            "the read replica cannot be read; reading the primary for %ss",
            settings.REPLICA_RETRY_SECONDS,
            exc_info=True,
        )
        mark_down()
        return False


def wants_replica(request) -> bool:
    if request.method not in SAFE_METHODS or request.path.startswith(PRIMARY_PATHS):
        return False
    try:
        read_primary_until = float(request.COOKIES.get(WRITER_COOKIE, "0"))
    except ValueError:
        read_primary_until = 0.0
    # Never longer than a write asks for, whatever the cookie says.
    now = time.time()
    return not now < read_primary_until <= now + settings.REPLICA_WRITER_SECONDS


class ReplicaMiddleware:
    """Pages and the API's reads go to the replica when it is fresh; after a request that may
    have written, the person's next pages read the primary for REPLICA_WRITER_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_configured():
            return self.get_response(request)
        reads = Reads()
        if wants_replica(request):
            # Who is asking is read from the primary, before any read can go elsewhere.
            getattr(getattr(request, "user", None), "is_authenticated", None)
            reads.from_replica = replica_is_fresh()
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 500:
            seconds = settings.REPLICA_WRITER_SECONDS
            response.set_cookie(
                WRITER_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def _primary_only(model) -> bool:
    return model._meta.app_label in PRIMARY_APPS or model._meta.label in PRIMARY_MODELS


class ReplicaRouter:
    """Reads of a request the middleware let read the replica go there, except inside a
    transaction (one that writes must see its own rows), after the request wrote, and for
    sessions, authentication and tokens. Everything else, and every write, the primary."""

    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if (
            reads is None
            or not reads.from_replica
            or reads.wrote
            or _primary_only(model)
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None and model._meta.label not in BOOKKEEPING_MODELS:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The same rows either way: the replica is a copy of the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
