"""A re-tag owed once runs once, however many messages ask for it (several edits, the sweeper's
resends): a real worker process through Redis (skipped without REDIS_URL), on PostgreSQL."""

import re
import time

import pytest

from feedback.ingest import validate_and_store
from feedback.models import Response, Theme
from feedback.tasks import retag_comments, sweep_theme_retags
from feedback.themes import retag_is_owed

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("shared_postgresql"),
]


def test_a_retag_owed_once_runs_once_for_many_messages(org, celery_worker):
    rows = [
        {
            "team": "alpha",
            "score": 4,
            "comment": f"Lang gewacht, bon {n}",
            "submitted_at": "2026-03-02 10:00",
            "external_id": f"r{n}",
        }
        for n in range(200)
    ]
    assert validate_and_store(org.organisation, "responses", rows, source="api")[0].created
    Theme.objects.create(organisation=org.organisation, name="Wachttijd", keywords="gewacht")
    assert retag_is_owed(org.organisation)
    results = [retag_comments.delay(org.organisation.pk) for _ in range(6)]
    tagged = [result.get(timeout=60) for result in results]
    assert sorted(tagged) == [0, 0, 0, 0, 0, 200], celery_worker.log.read_text()[-2000:]
    assert not retag_is_owed(org.organisation)
    assert Response.objects.filter(themes__name="Wachttijd").count() == 200
    # Nothing is owed: the sweeper sends nothing.
    assert sweep_theme_retags() == 0
    log = celery_worker.log.read_text()
    runs = re.findall(r"retag_comments\[[^\]]+\] succeeded in [^:]+: (\d+)", log)
    assert sorted(map(int, runs)) == [0, 0, 0, 0, 0, 200]


def test_the_sweeper_does_not_resend_a_retag_that_is_running(org):
    from organisations import claims

    Theme.objects.create(organisation=org.organisation, name="Wachttijd", keywords="gewacht")
    Theme.objects.update(updated_at=Theme.objects.get().updated_at.replace(year=2020))
    assert sweep_theme_retags() == 1  # owed, nobody on it: sent (and run here, in-process)
    Theme.objects.update(retagged_at=None)
    started = time.monotonic()
    with claims.claimed(claims.RETAG, org.organisation.pk) as ours:
        assert ours
        from threading import Thread

        swept = []
        sweeper = Thread(target=lambda: swept.append(_sweep_in_own_connection()))
        sweeper.start()
        sweeper.join(30)
    assert swept == [0]  # a worker holds the re-tag: it will see the edit itself
    assert time.monotonic() - started < 30


def _sweep_in_own_connection():
    from django.db import connections

    try:
        return sweep_theme_retags()
    finally:
        connections.close_all()
