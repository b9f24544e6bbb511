"""The demo's personal invitations: how each team samples (Klantenservice Noord sized to its
+8 NPS target), three months of links made after contacts, about a quarter of them answered,
so the response rate shows on the team pages, the board and in the KPI API."""

import datetime as dt
import random

from django.db import transaction

from feedback import ingest, invitations
from feedback.invitations import Contact
from feedback.models import DirtyMark, Interaction, Invitation, Sampling, Source
from feedback.signals import announce_after_commit
from programmes import sizing

SAMPLING = {
    "klantenservice-noord": (Sampling.Mode.SIZED, 100),
    "bezorging": (Sampling.Mode.EVERY, 100),
    "webwinkel": (Sampling.Mode.SHARE, 50),
}
DAYS = 90
ANSWERED_SHARE = {"klantenservice-noord": 0.27, "bezorging": 0.22, "webwinkel": 0.07}
SEED = 16


@transaction.atomic
def seed_invitations(organisation) -> int:
    """Idempotent: nothing is added once the demo has invitations."""
    teams = {team.slug: team for team in organisation.teams.all()}
    for slug, (mode, share) in SAMPLING.items():
        Sampling.objects.update_or_create(team=teams[slug], defaults={"mode": mode, "share": share})
    if Invitation.objects.filter(organisation=organisation).exists():
        return 0
    draw = random.Random(SEED)  # noqa: S311 - demo data, not security
    latest = Interaction.objects.filter(organisation=organisation).order_by("-occurred_at")
    latest = latest.values_list("occurred_at", flat=True).first()
    if latest is None:
        return 0
    contacts = (
        Interaction.objects.filter(
            organisation=organisation,
            team__slug__in=list(SAMPLING),
            occurred_at__gte=latest - dt.timedelta(days=DAYS),
        )
        .exclude(customer_hash="")
        .order_by("occurred_at")
        .values_list("pk", "team_id", "customer_hash", "occurred_at")
    )
    slug_of = {team.pk: slug for slug, team in teams.items()}
    by_day = {}
    for pk, team_id, customer, when in contacts:
        who = Contact(
            team_id=team_id,
            customer_hash=customer,
            interaction_id=pk,
            language="nl",
            sample_key=f"interaction:{pk}",
        )
        by_day.setdefault(when.date(), []).append((who, when))
    made, answers = [], []
    for day_contacts in by_day.values():
        sent_at = max(when for _who, when in day_contacts) + dt.timedelta(hours=1)
        outcomes = invitations.invite(
            organisation, [who for who, _when in day_contacts], by_email=False, now=sent_at
        )
        for outcome in outcomes:
            if outcome.invitation is None:
                continue
            made.append(outcome.invitation)
            if draw.random() < ANSWERED_SHARE[slug_of[outcome.invitation.team_id]]:
                later = sent_at + dt.timedelta(hours=draw.randint(1, 72))
                answers.append((outcome.invitation, min(later, latest)))
    rows = [
        {
            "team_id": invitation.team_id,
            "score": min(10, max(0, round(draw.gauss(7.6, 2.2)))),
            "comment": "",
            "customer_hash": invitation.customer_hash,
            "submitted_at": answered_at,
            "external_id": f"invitation:{invitation.pk}",
            "language": "nl",
            "invitation_id": invitation.pk,
        }
        for invitation, answered_at in answers
    ]
    if rows:
        ingest.store_responses(organisation, rows, source=Source.FORM)
    for invitation, answered_at in answers:
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=answered_at)
    DirtyMark.objects.mark(
        organisation, {(i.team_id, i.local_day) for i, _at in answers}, later_periods=False
    )
    announce_after_commit(organisation)
    sizing.write_down(teams["klantenservice-noord"])
    return len(made)
