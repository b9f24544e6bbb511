"""Outgoing webhooks, on the ground floor so that any app can emit an event: an event becomes
one delivery per subscribed webhook (once, whatever emits it twice), signed with HMAC-SHA256,
posted by a worker, retried with backoff by the sweeper, and the webhook paused after repeated
failure. A slow or failing receiver costs a retry, never a web request.

Receivers check ``X-KoningKlant-Signature: sha256=<hex>``, the HMAC-SHA256 with the webhook's
secret of ``<X-KoningKlant-Timestamp>.<body>``.
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations import enqueue
from organisations.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
PAUSE_AFTER = 10  # failed attempts in a row, across deliveries
CLAIM = dt.timedelta(minutes=2)
ANSWER_KEPT = 500  # characters of the receiver's answer kept in the log
COMMENT_DAYS = 30  # delivery logs keep no comment text after this


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, 4 min, 8 min …, at most an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# --- Which addresses may be called -----------------------------------------------------------


def _loopback_allowed() -> bool:
    return settings.WEBHOOKS_ALLOW_LOOPBACK


def refusal(url: str) -> str | None:
    """Why a webhook may not call ``url``, or None. Addresses that resolve to private,
    loopback or otherwise internal ranges are refused (a webhook is no way into the network),
    except 127.0.0.1 where tests or the demo allow it; only https, but for that one."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    loopback_ok = _loopback_allowed() and host == "127.0.0.1"
    if parts.scheme != "https" and not (loopback_ok and parts.scheme == "http"):
        return _("The address must start with https://.")
    if not host:
        return _("The address has no host name.")
    if loopback_ok:
        return None
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443)}
    except (socket.gaierror, UnicodeError):
        return _("%(host)s cannot be found.") % {"host": host}
    for address in found:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return _("%(host)s is an internal address; webhooks only call public ones.") % {
                "host": host
            }
    return None


# --- Emitting ---------------------------------------------------------------------------------


def wanted(organisation, event: str) -> bool:
    """Whether any active webhook of the organisation wants ``event`` (one query), for callers
    whose payload costs something to build."""
    return bool(_subscribed(organisation, event))


def _subscribed(organisation, event: str) -> list:
    """The organisation's active webhooks that want ``event``. An organisation has a handful,
    so they are filtered here: JSON containment is not a lookup SQLite has (the demo's)."""
    hooks = Webhook.objects.active().filter(organisation=organisation)
    return [hook for hook in hooks if event in hook.events]


def emit(organisation, event: str, key: str, payload: dict, *, team=None, comments=None) -> int:
    """Queue ``event`` for every active webhook of the organisation that wants it. ``key``
    names the event (the same key twice is delivered once); ``comments`` ({response id:
    text}) go only to a webhook registered for ``team``. Call inside the transaction that
    made the event happen; delivery starts once it commits. Returns the deliveries queued."""
    hooks = _subscribed(organisation, event)
    if not hooks:
        return 0
    now = timezone.now()
    rows = []
    for hook in hooks:
        body = {"event": event, "organisation": organisation.slug, "sent_for": now, **payload}
        if comments and team is not None and hook.team_id == team.pk:
            body["comments"] = [{"response": pk, "text": text} for pk, text in comments.items()]
        body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        rows.append(WebhookDelivery(webhook=hook, event=event, event_key=key, payload=body))
    created = WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(lambda: _send_tasks(organisation.pk))
    return len(created)


def _send_tasks(organisation_id):
    # The task lives in organisations.tasks, which imports this module: looked up by name.
    enqueue.send(current_app.tasks["organisations.tasks.deliver_webhooks"], organisation_id)


# --- Delivering -------------------------------------------------------------------------------


def due(now=None):
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=WebhookDelivery.Status.SENDING, claimed_until__lt=now),
        webhook__paused_at__isnull=True,
    )


def claim(pk) -> bool:
    now = timezone.now()
    return bool(
        due(now)
        .filter(pk=pk)
        .update(status=WebhookDelivery.Status.SENDING, claimed_until=now + CLAIM)
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post(delivery) -> tuple[int | None, str]:
    """POST the delivery once: (status code or None, the answer or the error)."""
    hook = delivery.webhook
    reason = refusal(hook.url)  # again: a name may resolve elsewhere since it was registered
    if reason:
        return None, reason
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = str(int(timezone.now().timestamp()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in refusal()
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "KoningKlant-Webhooks/1",
            "X-KoningKlant-Event": delivery.event,
            "X-KoningKlant-Delivery": str(delivery.pk),
            "X-KoningKlant-Timestamp": timestamp,
            "X-KoningKlant-Signature": sign(hook.secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.read(ANSWER_KEPT).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(ANSWER_KEPT).decode(errors="replace")
    except (OSError, ValueError) as error:  # refused, timed out, reset
        return None, str(error)[:ANSWER_KEPT]


def deliver(pk) -> bool:
    """Claim and send one delivery; record the answer. True when the receiver took it."""
    if not claim(pk):
        return False
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=pk)
    code, answer = post(delivery)
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "last_status_code": code, "last_answer": answer[:ANSWER_KEPT]}
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=pk).update(
            status=WebhookDelivery.Status.DELIVERED, delivered_at=now, claimed_until=None, **fields
        )
        Webhook.objects.filter(pk=delivery.webhook_id).update(failures_in_a_row=0)
        return True
    gave_up = attempts >= MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=pk).update(
        status=WebhookDelivery.Status.FAILED if gave_up else WebhookDelivery.Status.PENDING,
        next_attempt_at=now + backoff(attempts),
        claimed_until=None,
        **fields,
    )
    Webhook.objects.filter(pk=delivery.webhook_id).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    Webhook.objects.filter(
        pk=delivery.webhook_id, failures_in_a_row__gte=PAUSE_AFTER, paused_at__isnull=True
    ).update(paused_at=now)
    return False


def deliver_due(organisation_id=None) -> int:
    """Every delivery that is due (of one organisation, or all): returns how many arrived."""
    found = due()
    if organisation_id is not None:
        found = found.filter(webhook__organisation_id=organisation_id)
    return sum(deliver(pk) for pk in list(found.order_by("pk").values_list("pk", flat=True)))


def resume(webhook) -> None:
    """Management resumes a paused webhook: its waiting deliveries are tried again now."""
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(paused_at=None, failures_in_a_row=0)
        webhook.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )


# --- Privacy ----------------------------------------------------------------------------------


def forget_old_comments(now=None) -> int:
    """Delivery logs keep no comment text after COMMENT_DAYS."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=COMMENT_DAYS)
    return _drop_comments(WebhookDelivery.objects.filter(created_at__lt=cutoff))


def erase_comments_of(organisation, response_ids) -> int:
    """Erasing a customer (issue 15) erases their comments from the delivery logs too."""
    ids = set(response_ids)
    found = WebhookDelivery.objects.filter(webhook__organisation=organisation)
    return _drop_comments(found, only=ids)


def _drop_comments(deliveries, only=None) -> int:
    changed = 0
    for delivery in deliveries.filter(payload__has_key="comments").only("pk", "payload"):
        comments = delivery.payload["comments"]
        kept = [c for c in comments if only is not None and c["response"] not in only]
        if len(kept) == len(comments):
            continue
        payload = {**delivery.payload, "comments": kept}
        if not kept:
            payload.pop("comments")
        WebhookDelivery.objects.filter(pk=delivery.pk).update(payload=payload)
        changed += 1
    return changed
