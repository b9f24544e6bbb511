"""Shared fixtures: one organisation with two teams and a person in every role, and a second
organisation that nobody in the first may ever see."""

import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client

from kpis.faults import RedisServer, using_redis
from organisations.models import Role
from tests.factories import DepartmentFactory, OrganisationFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create many people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english():
    """Messages made outside a request are in English unless a test asks otherwise."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and other counters live in the caches; every test starts from zero."""
    from django.core.cache import caches

    from config import health
    from organisations import enqueue

    def clear():
        enqueue._broker_down_until = 0.0  # a broker "down just now" in an earlier test
        for cache in caches.all():
            if hasattr(cache, "_down_until"):
                cache._down_until = 0.0
            cache.clear()
        health._recent.clear()

    clear()
    yield
    clear()


@pytest.fixture
def client():
    # English unless a test asks otherwise; the site's default language is Dutch.
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def org(db):
    organisation = OrganisationFactory(name="Acme", slug="acme")
    service = DepartmentFactory(organisation=organisation, name="Service", slug="service")
    team_a = TeamFactory(organisation=organisation, department=service, name="Alpha", slug="alpha")
    team_b = TeamFactory(organisation=organisation, department=service, name="Beta", slug="beta")
    team_c = TeamFactory(organisation=organisation, name="Gamma", slug="gamma")

    other = OrganisationFactory(name="Other Corp", slug="other")
    other_team = TeamFactory(organisation=other, name="Elsewhere", slug="elsewhere")

    return SimpleNamespace(
        organisation=organisation,
        team_a=team_a,
        team_b=team_b,
        team_c=team_c,
        manager=UserFactory(username="manager", organisation=organisation, role=Role.MANAGEMENT),
        hr=UserFactory(username="hr", organisation=organisation, role=Role.HR),
        lead=UserFactory(username="lead", organisation=organisation, leads=[team_a]),
        employee=UserFactory(username="employee", organisation=organisation, teams=[team_a]),
        employee_b=UserFactory(username="employee_b", organisation=organisation, teams=[team_b]),
        other=other,
        other_team=other_team,
        other_manager=UserFactory(
            username="other_manager", organisation=other, role=Role.MANAGEMENT
        ),
        other_employee=UserFactory(
            username="other_employee", organisation=other, teams=[other_team]
        ),
    )


@pytest.fixture
def login(client):
    """Log a person in on the test client: ``login(org.employee)``."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def tasks_run_in_process():
    """Tasks run eagerly unless a test starts a real worker (see ``celery_worker``)."""
    from celery._state import _set_task_join_will_block

    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    # Celery marks "inside a task" process-wide while it runs one in-process; two threads
    # doing so at once (the concurrency tests) can leave the mark set, and a later test's
    # result.get() would then refuse to wait.
    _set_task_join_will_block(False)


@pytest.fixture
def shared_postgresql():
    """For tests where a worker process or a second connection shares the test database."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: an in-memory SQLite test database cannot be shared")


@pytest.fixture
def redis_url():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: this test needs a real Redis (CI sets it)")
    return settings.REDIS_URL


def worker_database_url(tmp_path) -> str:
    """The test database for a worker process: PostgreSQL's test database, which tests that
    share rows with the worker reach through ``transactional_db``. An in-memory SQLite test
    database cannot be shared, so there the worker gets an empty file of its own."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'worker-own.sqlite3'}"


class Worker(SimpleNamespace):
    def stop(self, kill=False):
        if self.process.poll() is not None:
            return
        if kill:
            self.process.kill()  # SIGKILL: no chance to finish or hand back the task
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_worker(queue, redis_url, tmp_path, name_suffix="", **extra_env) -> Worker:
    """Start a real Celery worker on ``queue``, using the test database; wait until it answers."""
    from config.celery import app

    name = f"{queue}{name_suffix}@localhost"
    log = tmp_path / f"worker{name_suffix}.log"
    env = os.environ | {
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": worker_database_url(tmp_path),
        **extra_env,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["-Q", queue, "-n", name, "--without-gossip", "--without-mingle", "-l", "INFO"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    worker = Worker(queue=queue, name=name, process=process, log=log)
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop(kill=True)
            pytest.fail(f"the worker did not start:\n{log.read_text()}")
    return worker


@pytest.fixture
def celery_worker(redis_url, tmp_path, django_db_setup, django_db_blocker):
    """A real Celery worker process on a queue of its own, which also receives the tasks the
    code under test sends (tasks stop running in-process for the test)."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    default_queue, routes = app.conf.task_default_queue, app.conf.task_routes
    app.conf.task_always_eager = False
    # Every task to this worker's queue, whatever its kind (update() makes Celery re-read
    # the routes; setting the attribute would not).
    app.conf.update(task_default_queue=queue, task_routes={})
    worker = start_worker(queue, redis_url, tmp_path)
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.update(task_default_queue=default_queue, task_routes=routes)


@pytest.fixture
def api_token(org):
    from organisations.models import IntegrationToken

    _, raw = IntegrationToken.issue(organisation=org.organisation, name="Webshop")
    return raw


@pytest.fixture
def post_rows(client, api_token):
    """POST a list of rows to the API as the organisation's integration."""
    import json

    def _post(kind, rows, token=api_token, raw_body=None):
        body = raw_body if raw_body is not None else json.dumps(rows, default=str)
        return client.post(
            f"/api/v1/{kind}",
            body,
            content_type="application/json",
            headers={"authorization": f"Bearer {token}"},
        )

    return _post


@contextmanager
def broker_unreachable():
    """Tasks are sent to a broker where nothing listens, as when Redis is down."""
    from config.celery import app

    def fresh_connections():
        # Celery keeps its connection pool; without this the old broker keeps being used.
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    fresh_connections()
    try:
        yield
    finally:
        app.conf.broker_url = saved
        fresh_connections()
        app.conf.task_always_eager = True


@pytest.fixture
def redis_server():
    """A redis-server of the test's own (kill it, stop it), that the app uses meanwhile."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    try:
        with using_redis(server.url):
            yield server
    finally:
        server.stop()
