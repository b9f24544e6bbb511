"""``manage.py bench``'s invitations: invitation requests per second through the same bulk
path as the API (1,000 contacts a call), beside the interaction ingest of the same run, and
invitation e-mails per second to a local SMTP server (aiosmtpd, a development dependency).

Works in the benchmark organisation and removes what it made afterwards.
"""

import logging
import socket
import time

from django.db import connection
from django.test.utils import override_settings

from feedback import invitation_rows, invitations, mailing
from feedback.models import Interaction, Invitation, InvitedCustomer, OptOut, Sampling
from kpis.benchmarks import bench_organisation, clear, tasks_sent_not_run
from kpis.synthetic import chunks, generate_interactions, store_generated

try:
    from aiosmtpd.controller import Controller
except ImportError:  # a production install has no SMTP sink; bench then skips the e-mails
    Controller = None

API_CALL = 1000  # contacts per POST /api/v1/invitations


class _Sink:
    """Accepts and counts messages, as a mail server that is never the bottleneck."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clear_invitations(organisation):
    for model in (Invitation, InvitedCustomer, OptOut):
        model.objects.filter(organisation=organisation).delete()


def bench_invitations(contacts: int, emails: int, seed: int = 16) -> dict:
    """Interactions stored, then an invitation asked after each one; then ``emails``
    invitation e-mails queued and sent. Rates per second, each with its count."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmarks need PostgreSQL (set DATABASE_URL)")
    organisation = bench_organisation()
    clear(organisation)
    _clear_invitations(organisation)
    teams = list(organisation.teams.all())
    for team in teams:
        Sampling.objects.update_or_create(team=team, defaults={"mode": Sampling.Mode.EVERY})
    rows = list(
        generate_interactions(organisation, responses=0, interactions=contacts, days=90, seed=seed)
    )
    result = {"contacts": contacts}
    try:
        with tasks_sent_not_run():
            started = time.perf_counter()
            store_generated(organisation, "interactions", iter(rows))
            ingest_seconds = time.perf_counter() - started
            requests = [
                {
                    "team": row["team"],
                    "customer_ref": row["customer_ref"] or row["external_id"],
                    "external_id": row["external_id"],
                }
                for row in rows
            ]
            made = 0
            started = time.perf_counter()
            for call in chunks(iter(requests), API_CALL):
                asked, errors = invitation_rows.validate(organisation, call)
                if errors:
                    raise RuntimeError(f"an invitation request was refused: {errors[:3]}")
                outcomes = invitations.invite(organisation, asked, by_email=False)
                made += sum(1 for outcome in outcomes if outcome.invitation is not None)
            invite_seconds = time.perf_counter() - started
        result |= {
            "interaction_ingest_seconds": round(ingest_seconds, 3),
            "interactions_per_second": round(contacts / ingest_seconds),
            "invitation_seconds": round(invite_seconds, 3),
            "invitation_requests_per_second": round(contacts / invite_seconds),
            "invitations_made": made,
            "throttled_or_repeated": contacts - made,
            "ratio_to_interaction_ingest": round(ingest_seconds / invite_seconds, 2),
        }
        _clear_invitations(organisation)
        result |= _bench_emails(organisation, teams, emails)
    finally:
        _clear_invitations(organisation)
        Sampling.objects.filter(team__in=teams).delete()
        Interaction.objects.filter(organisation=organisation).delete()
        clear(organisation)
    return result


def _bench_emails(organisation, teams, emails: int) -> dict:
    if Controller is None or not emails:
        return {"emails": 0, "note": "aiosmtpd is not installed: no e-mails measured"}
    contacts = [
        invitations.Contact(
            team_id=teams[n % len(teams)].pk,
            customer_hash=f"{n:064x}",
            language="nl" if n % 2 else "en",
            email=f"bench{n}@example.org",
        )
        for n in range(emails)
    ]
    for call in chunks(iter(contacts), API_CALL):
        invitations.invite(organisation, call, by_email=True)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    sink = _Sink()
    port = _free_port()
    server = Controller(sink, hostname="127.0.0.1", port=port)
    server.start()
    try:
        smtp = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": port,
        }
        with override_settings(**smtp), tasks_sent_not_run():
            started = time.perf_counter()
            sent = 0
            while True:
                batch = mailing.send_due()
                sent += batch
                if not batch:
                    break
            seconds = time.perf_counter() - started
    finally:
        server.stop()
    return {
        "emails": sent,
        "emails_received": sink.count,
        "email_seconds": round(seconds, 3),
        "emails_per_second": round(sent / seconds) if seconds else None,
    }
