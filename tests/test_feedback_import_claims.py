"""An uploaded file is imported once, however often its task is delivered: the stale-import
sweeper's resend and the upload's own message reaching two worker processes at once, or a
worker killed half-way. Real Redis, real worker processes (skipped without REDIS_URL), on
PostgreSQL, whose session locks are the claim."""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.utils import timezone

from feedback.models import ImportJob, Response
from feedback.tasks import run_import, sweep_stale_imports
from tests.conftest import start_worker
from tests.test_feedback_import import HEADER, csv_bytes

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shared_postgresql"),
]

ROWS = 5_000


@pytest.fixture
def queue(redis_url):
    """Tasks sent by the code under test go to a queue of this test's own."""
    from config.celery import app

    name = f"test-import-{uuid.uuid4().hex[:8]}"
    default_queue, routes = app.conf.task_default_queue, app.conf.task_routes
    app.conf.task_always_eager = False
    app.conf.update(task_default_queue=name, task_routes={})  # imports too, not to "imports"
    yield name
    app.conf.update(task_default_queue=default_queue, task_routes=routes)


def upload(org, minutes_ago=3):
    """A file of rows without external ids (so a second import would double them), uploaded
    ``minutes_ago`` while no worker ran."""
    lines = [HEADER] + [f"alpha,{n % 11},,C{n},2026-03-01 10:00," for n in range(ROWS)]
    job = ImportJob.objects.create(
        organisation=org.organisation, kind="responses", filename="f.csv", content=csv_bytes(lines)
    )
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return job


def wait_for(condition, seconds, logs):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("\n".join(log.read_text()[-1500:] for log in logs))
        time.sleep(0.1)


def test_a_resent_upload_reaching_two_workers_at_once_is_imported_once(
    org, redis_url, queue, tmp_path
):
    job = upload(org)
    run_import.delay(job.pk)  # the upload's own message
    sweep_stale_imports()  # two minutes on, no worker took it: the sweeper sends it again
    sweep_stale_imports()  # and not a third time
    workers = [None, None]

    def start(number):
        workers[number] = start_worker(queue, redis_url, tmp_path, f"-{number}")

    starting = [threading.Thread(target=start, args=(n,)) for n in range(2)]
    for thread in starting:
        thread.start()
    for thread in starting:
        thread.join()
    logs = [worker.log for worker in workers]
    try:

        def both_deliveries_ran():
            return sum(log.read_text().count("run_import[") for log in logs) >= 4

        wait_for(both_deliveries_ran, 120, logs)  # received and succeeded, twice
    finally:
        for worker in workers:
            worker.stop()
    job.refresh_from_db()
    assert job.status == "done" and job.rows_created == ROWS
    assert Response.objects.count() == ROWS
    outcomes = "".join(log.read_text() for log in logs)
    assert "'done'" in outcomes and ("'taken'" in outcomes or "'gone'" in outcomes)
    assert outcomes.count("run_import[") == 4  # two deliveries: the sweeper sent it once


def test_an_import_whose_worker_was_killed_is_taken_over_and_stored_once(
    org, redis_url, queue, tmp_path
):
    job = upload(org)
    first = start_worker(queue, redis_url, tmp_path, "-killed")
    try:
        run_import.delay(job.pk)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).status != "queued", 60, [first.log])
    finally:
        first.stop(kill=True)
    job.refresh_from_db()
    assert job.status in ("validating", "writing"), "the import finished before the kill"
    assert Response.objects.count() == 0  # all or nothing
    # The broker keeps the killed worker's message for hours (its visibility timeout): the
    # sweeper sees that no live worker holds the job and sends it again, once.
    sweep_stale_imports()
    sweep_stale_imports()
    second = start_worker(queue, redis_url, tmp_path, "-second")
    try:
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).is_finished, 120, [second.log])
    finally:
        second.stop()
    job.refresh_from_db()
    assert job.status == "done" and job.rows_created == ROWS
    assert Response.objects.count() == ROWS
