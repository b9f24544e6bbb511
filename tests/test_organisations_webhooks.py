"""Outgoing webhooks against a real HTTP receiver process on 127.0.0.1: signed payloads the
receiver verifies, each event delivered once, retries with backoff, pausing after repeated
failure, slow receivers, refused addresses, and comment text only where it may go."""

import datetime as dt
import time

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from organisations import webhooks
from organisations.models import Webhook, WebhookDelivery, WebhookEvent
from tests import receivers

receiver = receivers.receiver  # the fixture: a real HTTP receiver process


@pytest.fixture
def hook(org, receiver):
    return Webhook.objects.create(
        organisation=org.organisation,
        url=receiver.url,
        events=[WebhookEvent.FOLLOWUP_OPENED, WebhookEvent.ANSWERS],
        secret=receiver.secret,
    )


def emit(org, key="followup:1", **extra):
    with transaction.atomic():
        return webhooks.emit(
            org.organisation, WebhookEvent.FOLLOWUP_OPENED, key, {"followup": 1}, **extra
        )


def test_a_delivery_is_signed_and_the_receiver_verifies_it(org, hook, receiver):
    emit(org)
    assert webhooks.deliver_due() == 1
    [request] = receiver.received()
    assert request["signed"] is True
    assert request["event"] == "followup.opened"
    assert request["payload"]["organisation"] == "acme" and request["payload"]["followup"] == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.last_answer) == (
        "delivered",
        200,
        "thanks",
    )


def test_an_event_emitted_twice_and_swept_twice_arrives_once(org, hook, receiver):
    emit(org)
    emit(org)
    webhooks.deliver_due()
    webhooks.deliver_due()
    assert len(receiver.received()) == 1


def test_a_receiver_that_fails_gets_a_retry_after_a_backoff(org, hook, receiver):
    receiver.answer("fail")
    emit(org)
    assert webhooks.deliver_due() == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
    assert webhooks.deliver_due() == 0  # not yet: backing off
    assert len(receiver.received()) == 1
    receiver.answer("ok")
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert webhooks.deliver_due() == 1
    assert [r["mode"] for r in receiver.received()] == ["fail", "ok"]
    assert Webhook.objects.get().failures_in_a_row == 0


def test_a_webhook_that_keeps_failing_is_paused(org, hook, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "PAUSE_AFTER", 3)
    receiver.answer("fail")
    for n in range(4):
        emit(org, key=f"followup:{n}")
    webhooks.deliver_due()
    assert Webhook.objects.get().paused_at is not None
    assert len(receiver.received()) == 3  # the fourth waits for management to resume
    receiver.answer("ok")
    webhooks.resume(hook)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert webhooks.deliver_due() == 4


def test_a_slow_receiver_costs_an_attempt_not_a_hang(org, hook, receiver, settings):
    settings.WEBHOOK_TIMEOUT = 1
    receiver.answer("slow")
    emit(org)
    started = time.monotonic()
    assert webhooks.deliver_due() == 0
    assert time.monotonic() - started < 2.5
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "timed out" in delivery.last_answer


def test_a_paused_or_unsubscribed_webhook_gets_nothing(org, hook, receiver):
    with transaction.atomic():
        webhooks.emit(org.organisation, WebhookEvent.IDEA_DECIDED, "idea:1", {"idea": 1})
    assert not WebhookDelivery.objects.exists()
    Webhook.objects.update(paused_at=timezone.now())
    assert emit(org) == 0


def test_comment_text_goes_only_to_the_teams_own_webhook(org, hook, receiver):
    team_hook = Webhook.objects.create(
        organisation=org.organisation,
        url=receiver.url,
        events=[WebhookEvent.FOLLOWUP_OPENED],
        secret=receiver.secret,
        team=org.team_a,
    )
    emit(org, team=org.team_a, comments={7: "The courier was rude"})
    payloads = {d.webhook_id: d.payload for d in WebhookDelivery.objects.all()}
    assert payloads[team_hook.pk]["comments"] == [{"response": 7, "text": "The courier was rude"}]
    assert "comments" not in payloads[hook.pk]


def test_delivery_logs_forget_comments_after_30_days_and_on_erasure(org, hook, receiver):
    hook.team = org.team_a
    hook.save()
    emit(org, key="a", team=org.team_a, comments={7: "old words"})
    emit(org, key="b", team=org.team_a, comments={8: "new words", 9: "other customer"})
    WebhookDelivery.objects.filter(event_key="a").update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    assert webhooks.forget_old_comments() == 1
    assert "comments" not in WebhookDelivery.objects.get(event_key="a").payload
    assert webhooks.erase_comments_of(org.organisation, [8]) == 1
    kept = WebhookDelivery.objects.get(event_key="b").payload["comments"]
    assert kept == [{"response": 9, "text": "other customer"}]


@pytest.mark.parametrize(
    ("url", "allow_loopback", "why"),
    [
        ("http://hooks.example.org/x", True, "must start with https://"),
        ("https://10.1.2.3/x", True, "internal address"),
        ("https://192.168.1.5/x", True, "internal address"),
        ("https://localhost/x", True, "internal address"),
        ("https://[::1]/x", True, "internal address"),
        ("https://169.254.169.254/latest", True, "internal address"),
        ("http://127.0.0.1:9/x", False, "must start with https://"),
        ("https://127.0.0.1/x", False, "internal address"),
    ],
)
def test_internal_and_plain_http_addresses_are_refused(settings, url, allow_loopback, why):
    settings.WEBHOOKS_ALLOW_LOOPBACK = allow_loopback
    assert why in webhooks.refusal(url)


def test_the_loopback_address_is_allowed_where_tests_or_the_demo_allow_it(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert webhooks.refusal("http://127.0.0.1:8123/hook") is None


def test_management_registers_a_webhook_and_sees_its_secret_once(org, login, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    client = login(org.manager)
    page = client.post(
        reverse("organisations:webhook_create"),
        {"url": "http://127.0.0.1:8123/in", "events": ["followup.opened"], "team": org.team_a.pk},
    )
    hook = Webhook.objects.get()
    assert (hook.events, hook.team) == (["followup.opened"], org.team_a)
    assert hook.secret in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    detail = client.get(reverse("organisations:webhook_detail", args=[hook.pk]))
    assert hook.secret not in detail.content.decode()


def test_an_internal_address_is_refused_with_the_reason_and_nothing_stored(org, login):
    page = login(org.manager).post(
        reverse("organisations:webhook_create"),
        {"url": "https://10.0.0.8/in", "events": ["followup.opened"]},
    )
    assert page.status_code == 400
    assert "internal address" in page.content.decode()
    assert not Webhook.objects.exists()


def test_the_delivery_log_shows_the_last_answer(org, hook, receiver, login):
    receiver.answer("fail")
    emit(org)
    webhooks.deliver_due()
    page = login(org.manager).get(reverse("organisations:webhook_detail", args=[hook.pk]))
    body = page.content.decode()
    assert "followup.opened" in body and "500" in body and "broken" in body


def test_a_committed_event_is_delivered_without_waiting_for_the_sweeper(
    org, hook, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        emit(org)
    assert [request["event"] for request in receiver.received()] == ["followup.opened"]
