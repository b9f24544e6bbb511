"""The read replica, against a real PostgreSQL streaming replica: a primary and a standby
(pg_basebackup -R) started by this module on 127.0.0.1, the app's database connections pointed
at them for each test. Pages and the KPI API read the replica while it has everything the
primary had; the writer's next page, a lagging replica and a stopped one leave it to the
primary. Skipped on SQLite and where PostgreSQL's server programs are not installed."""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import zoneinfo
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.db import connections, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config import replica
from kpis.models import Rollup
from organisations import clock
from organisations.models import IntegrationToken, Role
from tests.factories import OrganisationFactory, TeamFactory, UserFactory

# The replica's alias exists from the module's set-up (before each test's), so tests may use
# it; it mirrors the primary, so nothing flushes it after a test.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", replica.REPLICA])


def server_programs() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: p.split("/")[4])
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Clusters(SimpleNamespace):
    """The two servers; as root, their programs run as the postgres user (they refuse root)."""

    def run(self, program, *args, **kwargs):
        command = [str(self.bin / program), *map(str, args)]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, cwd="/", **kwargs)

    def start(self, name):
        self.run("pg_ctl", "-D", self.root / name, "-l", self.root / f"{name}.log", "-w", "start")

    def stop(self, name, mode="fast"):
        self.run("pg_ctl", "-D", self.root / name, "-m", mode, "-w", "stop")

    def sql(self, port, query):
        out = self.run(
            "psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "kk", "-Atc", query
        )
        return out.stdout.decode().strip()


@pytest.fixture(scope="module")
def clusters(django_db_setup, tmp_path_factory):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: the replica is a PostgreSQL standby")
    programs = server_programs()
    if programs is None or not (programs / "pg_basebackup").exists():
        pytest.skip("PostgreSQL's server programs (initdb, pg_basebackup) are not installed")
    as_user = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            as_user = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the servers")
    root = Path(tempfile.mkdtemp(prefix="kk-replica-"))
    if as_user:
        shutil.chown(root, user=as_user)
    found = Clusters(bin=programs, as_user=as_user, root=root)
    found.primary_port, found.replica_port = free_port(), free_port()
    try:
        found.run("initdb", "-D", root / "primary", "-U", "postgres", "--auth=trust", "-N")
        with (root / "primary" / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {found.primary_port}\n"
                "unix_socket_directories = ''\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\nsynchronous_commit = on\nautovacuum = off\n"
            )
        with (root / "primary" / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        found.start("primary")
        found.run("createdb", "-h", "127.0.0.1", "-p", found.primary_port, "-U", "postgres", "kk")
        # The schema (and what migrations stored) of the test database, copied over.
        test_db = connections["default"].settings_dict
        address = ["-h", test_db["HOST"], "-p", test_db["PORT"] or 5432, "-U", test_db["USER"]]
        password = {"PGPASSWORD": test_db["PASSWORD"] or ""}
        dump = found.run(
            "pg_dump",
            "--no-owner",
            "--no-privileges",
            *address,
            test_db["NAME"],
            env=os.environ | password,
        ).stdout
        found.run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            found.primary_port,
            "-U",
            "postgres",
            "-d",
            "kk",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            input=dump,
        )
        found.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            found.primary_port,
            "-U",
            "postgres",
            "-D",
            root / "replica",
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with (root / "replica" / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {found.replica_port}\n")
        found.start("replica")
        yield found
    except subprocess.CalledProcessError as error:
        pytest.fail(f"{error.cmd}: {error.stderr.decode()}")
    finally:
        for name in ("replica", "primary"):
            if (root / name / "postmaster.pid").exists():
                subprocess.run(
                    (["runuser", "-u", as_user, "--"] if as_user else [])
                    + [str(programs / "pg_ctl"), "-D", str(root / name), "-m", "immediate", "stop"],
                    capture_output=True,
                    cwd="/",
                )
        shutil.rmtree(root, ignore_errors=True)


def server(port) -> dict:
    return {
        "NAME": "kk",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "USER": "postgres",
        "PASSWORD": "",
    }


@pytest.fixture(scope="module")
def replica_alias(clusters):
    """DATABASE_REPLICA_URL's alias, as the settings make it, pointing at the standby."""
    test_db = connections["default"].settings_dict
    configured = connections.settings.get(replica.REPLICA)  # a DATABASE_REPLICA_URL's mirror
    connections.settings[replica.REPLICA] = (
        test_db
        | server(clusters.replica_port)
        | {
            "OPTIONS": {"connect_timeout": 2},
            "TEST": test_db["TEST"] | {"MIRROR": "default"},
        }
    )
    yield
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    if configured is None:
        del connections.settings[replica.REPLICA]
    else:
        connections.settings[replica.REPLICA] = configured


@pytest.fixture
def app_on_clusters(clusters, replica_alias, transactional_db, settings):
    """The app's primary is the module's primary (and its replica the standby)."""
    # On a busy machine replaying even a small write can take longer than the 50 ms a page
    # waits in production; here a page that should read the replica waits until it can.
    settings.REPLICA_MAX_WAIT_MS = 3000
    primary = connections["default"]
    primary.close()
    saved = primary.settings_dict.copy()
    primary.settings_dict.update(server(clusters.primary_port))
    replica._down_until = 0.0
    try:
        yield clusters
    finally:
        connections[replica.REPLICA].close()
        primary.close()
        primary.settings_dict.clear()
        primary.settings_dict.update(saved)
        replica._down_until = 0.0


@pytest.fixture
def acme(app_on_clusters):
    organisation = OrganisationFactory()
    team = TeamFactory(organisation=organisation)
    _, token = IntegrationToken.issue(organisation=organisation, name="Webshop")
    manager = UserFactory(organisation=organisation, role=Role.MANAGEMENT)
    return SimpleNamespace(
        organisation=organisation,
        team=team,
        token=token,
        manager=manager,
        zone=zoneinfo.ZoneInfo(organisation.time_zone),
        clusters=app_on_clusters,
    )


def post_response(client, acme, score=10):
    response = client.post(
        "/api/v1/responses",
        [
            {
                "team": acme.team.slug,
                "score": score,
                "customer_ref": f"c-{time.monotonic_ns()}",
                "submitted_at": timezone.localtime(timezone.now(), acme.zone).isoformat(),
            }
        ],
        content_type="application/json",
        headers={"authorization": f"Bearer {acme.token}"},
    )
    assert response.status_code == 200, response.content
    return response


class Reads(list):
    freshness_checks = 0


@contextlib.contextmanager
def replica_reads():
    """What the replica was asked for the page itself (not whether it had caught up); unlike
    CaptureQueriesContext, this does not connect to it first."""
    on_replica = connections[replica.REPLICA]
    on_replica.force_debug_cursor = True
    request_started.disconnect(reset_queries)  # as CaptureQueriesContext does
    before = len(on_replica.queries_log)
    reads = Reads()
    try:
        yield reads
    finally:
        on_replica.force_debug_cursor = False
        request_started.connect(reset_queries)
        asked = [query["sql"] for query in list(on_replica.queries_log)[before:]]
        reads.extend(sql for sql in asked if "pg_last_wal_replay_lsn" not in sql)
        reads.freshness_checks = len(asked) - len(reads)


def kpis(client, acme):
    """The team's responses today by the KPI API, and the rollup reads the replica served."""
    with replica_reads() as reads:
        response = client.get(
            "/api/v1/kpis",
            {"team": acme.team.slug, "period": "day", "last": 1},
            headers={"authorization": f"Bearer {acme.token}"},
        )
    assert response.status_code == 200, response.content
    rollup_reads = [sql for sql in reads if "kpis_rollup" in sql]
    return response.json()["series"][-1]["responses"], rollup_reads


def wait_for_replay(acme):
    clusters = acme.clusters
    target = clusters.sql(clusters.primary_port, "SELECT pg_current_wal_flush_lsn()")
    deadline = time.monotonic() + 10
    query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'"
    while clusters.sql(clusters.replica_port, query) != "t":
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


def test_pages_and_the_kpi_api_read_a_replica_that_has_caught_up(acme):
    post_response(Client(), acme)
    wait_for_replay(acme)

    with CaptureQueriesContext(connections["default"]) as on_primary, replica_reads() as reads:
        responses, rollup_reads = kpis(Client(), acme)
    assert responses == 1
    assert rollup_reads, "the KPI API read its figures from the primary"
    # What the rule costs: one question to the primary, and one to the replica (a few more
    # while it waits for the replica to replay, on a busy machine).
    assert [q for q in on_primary.captured_queries if "pg_current_wal_flush_lsn" in q["sql"]]
    assert len(on_primary.captured_queries) == 3  # and the token, read and stamped "last used"
    assert reads.freshness_checks >= 1

    manager = Client(headers={"accept-language": "en"})
    manager.force_login(acme.manager)
    with replica_reads() as reads:
        page = manager.get(f"/teams/{acme.team.slug}/")
    assert page.status_code == 200
    assert any("organisations_team" in sql for sql in reads)
    # Who is asking is always read from the primary.
    assert not any("django_session" in sql for sql in reads)


def test_the_writers_next_page_reads_the_primary(acme, settings):
    settings.REPLICA_WRITER_SECONDS = 1
    writer = Client()
    post_response(writer, acme)
    wait_for_replay(acme)  # the replica has the write too: the stamp alone decides

    with replica_reads() as reads:
        assert kpis(writer, acme) == (1, [])
    assert reads == []
    assert kpis(Client(), acme)[1], "someone else's page reads the replica"

    time.sleep(1.1)  # the stamp has run out
    assert kpis(writer, acme)[1]


def test_a_lagging_replica_leaves_fresh_figures_to_the_primary(acme, settings):
    clusters = acme.clusters
    settings.REPLICA_MAX_WAIT_MS = 100
    post_response(Client(), acme)
    wait_for_replay(acme)
    clusters.sql(clusters.replica_port, "SELECT pg_wal_replay_pause()")
    try:
        post_response(Client(), acme)  # the rollup changes on the primary only
        on_replica = Rollup.objects.using(replica.REPLICA).get(team=acme.team, kind=clock.DAY)
        assert on_replica.responses == 1  # the replica is behind

        started = time.monotonic()
        responses, rollup_reads = kpis(Client(), acme)
        assert (responses, rollup_reads) == (2, [])
        assert time.monotonic() - started < 2
    finally:
        clusters.sql(clusters.replica_port, "SELECT pg_wal_replay_resume()")
    settings.REPLICA_MAX_WAIT_MS = 3000
    wait_for_replay(acme)
    responses, rollup_reads = kpis(Client(), acme)
    assert responses == 2 and rollup_reads  # caught up again: the replica serves


def test_a_stopped_replica_leaves_pages_to_the_primary_quickly(acme):
    clusters = acme.clusters
    post_response(Client(), acme)
    wait_for_replay(acme)
    reader = Client()
    assert kpis(reader, acme)[1]  # its connection to the replica is open now
    manager = Client(headers={"accept-language": "en"})
    manager.force_login(acme.manager)

    clusters.stop("replica")
    try:
        started = time.monotonic()
        assert kpis(reader, acme) == (1, [])
        assert time.monotonic() - started < 3
        # The next requests do not try it again for a while: no wait at all.
        started = time.monotonic()
        assert manager.get(f"/teams/{acme.team.slug}/").status_code == 200
        assert kpis(Client(), acme) == (1, [])
        assert time.monotonic() - started < 1
    finally:
        clusters.start("replica")


def test_a_replica_that_does_not_answer_costs_one_request_the_connect_timeout(acme):
    post_response(Client(), acme)
    standby = connections[replica.REPLICA]
    standby.close()
    saved_port = standby.settings_dict["PORT"]
    with socket.socket() as silent:  # takes the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        standby.settings_dict["PORT"] = str(silent.getsockname()[1])
        try:
            started = time.monotonic()
            assert kpis(Client(), acme) == (1, [])
            assert time.monotonic() - started < 5  # connect_timeout is 2 s
            started = time.monotonic()
            assert kpis(Client(), acme) == (1, [])
            assert time.monotonic() - started < 1
        finally:
            standby.close()
            standby.settings_dict["PORT"] = saved_port
