"""Personal survey invitations after a contact: who may be invited (the team's sampling, the
customer's opt-out, the organisation's throttle), making them, answering them once, opting out,
and what is stored per customer (for erasure).

The throttle holds under concurrent requests because each customer has one ``InvitedCustomer``
row, created if missing and locked (``FOR UPDATE``, in one order) before it is read: a second
request for the same customer waits, then sees the first one's invitation.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from feedback.models import (
    DirtyMark,
    Invitation,
    InvitedCustomer,
    OptOut,
    Sampling,
)
from feedback.signals import announce_after_commit
from organisations import clock

VALID_FOR = dt.timedelta(days=30)
LANGUAGES = ("nl", "en")


class Reason:
    """Why no invitation was made (the API's ``reason``)."""

    TEAM_NOT_INVITING = "team_not_inviting"
    OPTED_OUT = "opted_out"
    THROTTLED = "throttled"
    NOT_SAMPLED = "not_sampled"


@dataclass
class Contact:
    """One contact to invite after: validated, the customer already hashed."""

    team_id: int
    customer_hash: str
    interaction_id: int | None = None
    language: str = ""
    email: str = ""
    sample_key: str = ""  # what the sampling draw is made from (the contact's own id)


@dataclass
class Outcome:
    invitation: Invitation | None = None
    reason: str = ""
    since: dt.datetime | None = None  # throttled: when the customer was last invited


def link_for(invitation) -> str:
    return settings.SITE_URL + reverse("feedback:invitation", args=[invitation.token])


def opt_out_link_for(invitation) -> str:
    return settings.SITE_URL + reverse("feedback:invitation_stop", args=[invitation.token])


def drawn(key: str, fraction: float) -> bool:
    """A reproducible draw: the same contact is always in or out at the same share."""
    if fraction >= 1:
        return True
    if fraction <= 0:
        return False
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    return number < fraction * 2**32


def _lock_customers(organisation, hashes) -> dict:
    """{customer hash: last invited at} with each customer's row locked until the transaction
    ends; rows are created first where missing, and locked in one order (no deadlocks)."""
    hashes = sorted(set(hashes))
    if not hashes:
        return {}
    InvitedCustomer.objects.bulk_create(
        [InvitedCustomer(organisation=organisation, customer_hash=h) for h in hashes],
        ignore_conflicts=True,
    )
    rows = (
        InvitedCustomer.objects.filter(organisation=organisation, customer_hash__in=hashes)
        .order_by("customer_hash")
        .select_for_update()
        .values_list("customer_hash", "last_invited_at")
    )
    return dict(rows)


@transaction.atomic
def invite(organisation, contacts: list[Contact], *, by_email: bool, now=None) -> list[Outcome]:
    """Make an invitation for every contact that may get one; an Outcome per contact, in order.

    ``by_email``: Koning Klant sends it (queued, with the address); otherwise the caller hands
    out the link. Throttling counts both ways, across the whole organisation."""
    now = now or timezone.now()
    fractions = {
        team_id: sampling.fraction
        for team_id, sampling in (
            (s.team_id, s)
            for s in Sampling.objects.filter(team_id__in={c.team_id for c in contacts})
        )
    }
    hashes = {c.customer_hash for c in contacts if c.customer_hash}
    opted_out = set(
        OptOut.objects.filter(organisation=organisation, customer_hash__in=hashes).values_list(
            "customer_hash", flat=True
        )
    )
    drawn_ones = [
        fractions.get(c.team_id, 0) > 0
        and c.customer_hash not in opted_out
        and drawn(c.sample_key or c.customer_hash, fractions[c.team_id])
        for c in contacts
    ]
    last_invited = _lock_customers(
        organisation, {c.customer_hash for c, ok in zip(contacts, drawn_ones, strict=True) if ok}
    )
    quiet_since = now - dt.timedelta(days=organisation.invitation_throttle_days)
    day = clock.local_day(clock.zone_for_stamping(organisation))(now)
    outcomes, made = [], []
    for contact, is_drawn in zip(contacts, drawn_ones, strict=True):
        if fractions.get(contact.team_id, 0) <= 0:
            outcomes.append(Outcome(reason=Reason.TEAM_NOT_INVITING))
            continue
        if contact.customer_hash in opted_out:
            outcomes.append(Outcome(reason=Reason.OPTED_OUT))
            continue
        if not is_drawn:
            outcomes.append(Outcome(reason=Reason.NOT_SAMPLED))
            continue
        since = last_invited.get(contact.customer_hash)
        if since is not None and since > quiet_since:
            outcomes.append(Outcome(reason=Reason.THROTTLED, since=since))
            continue
        invitation = Invitation(
            organisation=organisation,
            team_id=contact.team_id,
            customer_hash=contact.customer_hash,
            interaction_id=contact.interaction_id,
            language=contact.language,
            email=contact.email if by_email else "",
            status=Invitation.Status.QUEUED if by_email else Invitation.Status.LINK,
            created_at=now,
            expires_at=now + VALID_FOR,
            # A link counts when made; an e-mail when it is sent.
            counted_at=None if by_email else now,
            local_day=None if by_email else day,
        )
        last_invited[contact.customer_hash] = now
        made.append(invitation)
        outcomes.append(Outcome(invitation=invitation))
    if made:
        Invitation.objects.bulk_create(made, batch_size=1000)
        invited = sorted({i.customer_hash for i in made})
        InvitedCustomer.objects.filter(organisation=organisation, customer_hash__in=invited).update(
            last_invited_at=now
        )
        links = {(i.team_id, day) for i in made if not by_email}
        if links:
            DirtyMark.objects.mark(organisation, links, later_periods=False)
            announce_after_commit(organisation)
    return outcomes


# --- The customer's side -----------------------------------------------------------------------


@transaction.atomic
def opt_out(invitation) -> None:
    """Never invite this customer again: their hash on the list, every address of theirs
    forgotten and their waiting e-mails closed."""
    OptOut.objects.get_or_create(
        organisation=invitation.organisation, customer_hash=invitation.customer_hash
    )
    Invitation.objects.filter(
        organisation=invitation.organisation, customer_hash=invitation.customer_hash
    ).exclude(email="").update(email="", status=Invitation.Status.CLOSED)


# --- What is stored per customer (for access and erasure requests) ----------------------------


def stored_for_customer(organisation, customer_hash) -> dict:
    """Everything about invitations kept for one customer hash."""
    invitations = Invitation.objects.filter(organisation=organisation, customer_hash=customer_hash)
    return {
        "invitations": list(
            invitations.values(
                "pk", "team_id", "status", "language", "email", "created_at", "answered_at"
            )
        ),
        "opted_out": OptOut.objects.filter(
            organisation=organisation, customer_hash=customer_hash
        ).exists(),
        "last_invited_at": InvitedCustomer.objects.filter(
            organisation=organisation, customer_hash=customer_hash
        )
        .values_list("last_invited_at", flat=True)
        .first(),
    }


@transaction.atomic
def erase_customer(organisation, customer_hash, *, keep_opt_out=True) -> int:
    """Forget a customer's invitations (counts in the rollups stay, as for any erasure) and
    throttle row. The opt-out is kept by default: erasing it would let them be asked again."""
    invitations = Invitation.objects.filter(organisation=organisation, customer_hash=customer_hash)
    erased = invitations.update(customer_hash="", email="", interaction=None)
    InvitedCustomer.objects.filter(organisation=organisation, customer_hash=customer_hash).delete()
    if not keep_opt_out:
        OptOut.objects.filter(organisation=organisation, customer_hash=customer_hash).delete()
    return erased
