"""With a real Celery worker and Redis: a stored detractor answer opens its follow-up in the
worker, and the worker delivers the signed webhook to a real receiver process, once."""

import time

import pytest
from django.db import transaction
from django.utils import timezone

from feedback import ingest
from followups.models import FollowUp
from organisations.models import Webhook, WebhookDelivery, WebhookEvent
from organisations.tasks import sweep_webhooks
from tests import receivers

receiver = receivers.receiver  # the fixture: a real HTTP receiver process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_opens_the_follow_up_and_tells_the_webhook_once(org, receiver, celery_worker):
    Webhook.objects.create(
        organisation=org.organisation,
        url=receiver.url,
        events=[WebhookEvent.FOLLOWUP_OPENED],
        secret=receiver.secret,
        team=org.team_a,
    )
    row = {
        "team_id": org.team_a.pk,
        "score": 2,
        "comment": "Waited an hour.",
        "customer_hash": "",
        "submitted_at": timezone.now(),
        "external_id": "crm-w1",
    }
    for _ in range(2):  # the same answer sent twice
        with transaction.atomic():
            ingest.store_responses(org.organisation, [row], source="api")
    log = celery_worker.log.read_text
    assert wait_for(lambda: WebhookDelivery.objects.exists()), log()[-3000:]
    # The worker queued the delivery on the default queue, which this test's worker does not
    # read; beat's sweeper, sent to it twice, delivers it (once).
    for _ in range(2):
        sweep_webhooks.apply_async(queue=celery_worker.queue).get(timeout=30)
    assert wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").count() == 1), (
        celery_worker.log.read_text()[-3000:]
    )
    time.sleep(1)  # a second delivery, were there one, would have arrived by now
    [request] = receiver.received()
    assert request["signed"] and request["event"] == "followup.opened"
    assert request["payload"]["comments"][0]["text"] == "Waited an hour."
    assert FollowUp.objects.get().owner == org.lead
