"""Tasks go to a queue by kind of work (rollups, mail, imports, the default for the rest), so
each kind can have workers of its own; one worker without -Q still takes every kind."""

import shlex
import uuid

import pytest
import redis
import yaml
from django.conf import settings

from config.celery import all_queues, app
from dashboards.tasks import send_pending_replies
from kpis.tasks import sweep_dirty_rollups
from tests.conftest import start_worker


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_each_kind_of_work_has_its_own_queue():
    assert queue_of("kpis.tasks.recompute_rollups") == "rollups"
    assert queue_of("kpis.tasks.sweep_dirty_rollups") == "rollups"
    assert queue_of("feedback.tasks.send_invitations") == "mail"
    assert queue_of("dashboards.tasks.send_weekly_digests") == "mail"
    assert queue_of("feedback.tasks.run_import") == "imports"
    assert queue_of("organisations.tasks.record_heartbeat") == "celery"


def test_every_routed_task_exists():
    """A renamed task would silently fall back to the default queue."""
    app.loader.import_default_modules()
    routed = {task for tasks in settings.TASK_QUEUES_BY_KIND.values() for task in tasks}
    assert routed <= set(app.tasks), routed - set(app.tasks)


def test_a_worker_without_queues_named_takes_every_kind():
    declared = {queue.name for queue in app.conf.task_queues}
    assert declared == {"rollups", "mail", "imports", "celery"} == set(all_queues())


def test_the_compose_worker_takes_every_queue_unless_told_otherwise():
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    command = compose["services"]["worker"]["command"]
    argv = shlex.split(command) if isinstance(command, str) else command
    queues = argv[argv.index("-Q") + 1]
    assert queues == "${WORKER_QUEUES:-" + ",".join(all_queues()) + "}"


@pytest.fixture
def kind_queues(redis_url):
    """The configured routes, with this test's own prefix on every queue name, so nothing
    else on this Redis takes (or leaves) a message in them."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    saved = app.conf.task_default_queue, app.conf.task_routes
    routes = {
        task: {"queue": f"{prefix}-{route['queue']}"}
        for task, route in settings.CELERY_TASK_ROUTES.items()
    }
    app.conf.task_always_eager = False
    app.conf.update(task_default_queue=f"{prefix}-celery", task_routes=routes)
    yield prefix
    app.conf.update(task_default_queue=saved[0], task_routes=saved[1])
    broker = redis.Redis.from_url(redis_url)
    broker.delete(*(f"{prefix}-{queue}" for queue in all_queues()))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_mail_worker_takes_mail_and_leaves_rollups_to_a_rollups_worker(
    shared_postgresql, kind_queues, redis_url, tmp_path
):
    rollup = sweep_dirty_rollups.delay()
    mail = send_pending_replies.delay()
    mail_worker = start_worker(f"{kind_queues}-mail", redis_url, tmp_path, "-mail")
    try:
        assert mail.get(timeout=30) == 0
    finally:
        mail_worker.stop()
    assert rollup.state == "PENDING"
    assert redis.Redis.from_url(redis_url).llen(f"{kind_queues}-rollups") == 1
    assert rollup.id not in mail_worker.log.read_text()

    rollups_worker = start_worker(f"{kind_queues}-rollups", redis_url, tmp_path, "-rollups")
    try:
        assert rollup.get(timeout=30) == 0
    finally:
        rollups_worker.stop()
    assert mail.id not in rollups_worker.log.read_text()
    assert mail.id in mail_worker.log.read_text()
