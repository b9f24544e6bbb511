"""A customer's data on request (GDPR): found by the reference the organisation knows (hashed
as ingest hashes it), exported whole, or erased whole, with the figures recomputed and the
erasure in the audit log without anything about the customer.

Rows that reference a customer's response (answers sent to them, marks, praise passed on,
follow-ups, the link from an idea to their comment; the idea stays) go with it; comment text in
webhook delivery logs is erased; invitations keep only what the response-rate figures count
(their team, day and state), and an opt-out stays, so that nobody asks them again. Apps that
keep more about a customer subscribe to ``feedback.signals.customer_erased``."""

from dataclasses import dataclass, field

from django.db import transaction

from dashboards.models import Praise, Reply
from feedback import invitations
from feedback.models import DirtyMark, ImportJob, Interaction, Response
from feedback.privacy import customer_hasher
from feedback.signals import announce_after_commit, customer_erased
from followups import privacy as followup_privacy
from organisations import audit


@dataclass
class CustomerData:
    reference_given: bool
    customer_hash: str = ""
    responses: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    replies: list = field(default_factory=list)
    import_files: list = field(default_factory=list)
    followups: list = field(default_factory=list)
    praise: list = field(default_factory=list)
    invitations: dict = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(
            self.responses
            or self.interactions
            or self.import_files
            or self.invitations.get("invitations")
            or self.invitations.get("last_invited_at")
        )

    def counts(self) -> dict:
        return {
            "responses": len(self.responses),
            "interactions": len(self.interactions),
            "answers sent": len(self.replies),
            "import files": len(self.import_files),
            "follow-ups": len(self.followups),
            "praise passed on": len(self.praise),
            "invitations": len(self.invitations.get("invitations", [])),
        }


def find(organisation, reference: str) -> CustomerData:
    """Everything stored about the customer with this reference (or e-mail address given on
    the public form, which is their reference there)."""
    customer_hash = customer_hasher(organisation.customer_ref_secret)(reference)
    if not customer_hash:
        return CustomerData(reference_given=False)
    responses = list(
        Response.objects.filter(organisation=organisation, customer_hash=customer_hash)
        .select_related("team")
        .prefetch_related("ideas")
        .order_by("submitted_at", "pk")
    )
    interactions = list(
        Interaction.objects.filter(organisation=organisation, customer_hash=customer_hash)
        .select_related("team")
        .order_by("occurred_at", "pk")
    )
    replies = list(Reply.objects.filter(response__in=responses).order_by("created_at", "pk"))
    return CustomerData(
        followups=list(followup_privacy.stored_for(organisation, customer_hash)),
        praise=list(Praise.objects.filter(response__in=responses).order_by("created_at", "pk")),
        invitations=invitations.stored_for_customer(organisation, customer_hash),
        reference_given=True,
        customer_hash=customer_hash,
        responses=responses,
        interactions=interactions,
        replies=replies,
        import_files=_import_files_holding(organisation, reference),
    )


def _import_files_holding(organisation, reference: str) -> list:
    """Uploaded files still stored (waiting or being read) that name the customer."""
    needle = reference.strip().encode()
    if not needle:
        return []
    jobs = ImportJob.objects.filter(organisation=organisation).exclude(content=b"")
    return [job for job in jobs.only("pk", "filename", "content") if needle in bytes(job.content)]


def as_json(data: CustomerData) -> dict:
    """What is stored about the customer, for them: their own words and what was done."""
    return {
        "responses": [
            {
                "team": response.team.name,
                "score": response.score,
                "comment": response.comment,
                "submitted_at": response.submitted_at.isoformat(),
                "contact_email": response.contact_email,
                "language": response.language,
                "external_id": response.external_id,
                "answers_sent": [
                    {"answer": reply.body, "sent_at": reply.sent_at and reply.sent_at.isoformat()}
                    for reply in data.replies
                    if reply.response_id == response.pk
                ],
                "ideas": [idea.title for idea in response.ideas.all()],
            }
            for response in data.responses
        ],
        "interactions": [
            {
                "team": interaction.team.name,
                "occurred_at": interaction.occurred_at.isoformat(),
                "is_error": interaction.is_error,
                "note": interaction.note,
                "external_id": interaction.external_id,
            }
            for interaction in data.interactions
        ],
        "import_files": [job.filename for job in data.import_files],
        "follow_ups": [
            {
                "state": followup.state,
                "opened_at": followup.opened_at.isoformat(),
                "due_on": followup.due_on.isoformat(),
                "closed_at": followup.closed_at and followup.closed_at.isoformat(),
                "learned": followup.learned,
            }
            for followup in data.followups
        ],
        "praise_passed_on": [praise.created_at.isoformat() for praise in data.praise],
        "invitations": [
            {
                "status": invitation["status"],
                "language": invitation["language"],
                "email": invitation["email"],
                "created_at": invitation["created_at"].isoformat(),
                "answered_at": invitation["answered_at"] and invitation["answered_at"].isoformat(),
            }
            for invitation in data.invitations.get("invitations", [])
        ],
        "opted_out": data.invitations.get("opted_out", False),
    }


def record_export(organisation, actor, data: CustomerData) -> None:
    audit.record(organisation, actor, "customer.exported", counts=data.counts())


def erase(organisation, actor, reference: str) -> dict:
    """Erase everything stored about the customer in one transaction; the team-days it touched
    are marked for recomputation, and the audit log records the counts only."""
    with transaction.atomic():
        data = find(organisation, reference)
        counts = data.counts()
        if not data.found:
            return counts
        response_ids = [response.pk for response in data.responses]
        interaction_ids = [interaction.pk for interaction in data.interactions]
        customer_erased.send(
            sender=None,
            organisation=organisation,
            customer_hash=data.customer_hash,
            response_ids=response_ids,
            interaction_ids=interaction_ids,
        )
        response_days = {(row.team_id, row.local_day) for row in data.responses}
        interaction_days = {(row.team_id, row.local_day) for row in data.interactions}
        # Comment text carried by webhooks goes before the answers it came from.
        followup_privacy.erase(organisation, response_ids)
        invitations.erase_customer(organisation, data.customer_hash)
        # Answers sent, marks, praise, follow-ups and idea links go with the responses (the
        # ideas stay).
        Response.objects.filter(pk__in=response_ids).delete()
        Interaction.objects.filter(pk__in=interaction_ids).delete()
        ImportJob.objects.filter(pk__in=[job.pk for job in data.import_files]).update(content=b"")
        # As ingest marks them: responses their own days; interactions later periods too
        # (the customer's later visits are no longer returning ones).
        DirtyMark.objects.mark(organisation, response_days, later_periods=False)
        DirtyMark.objects.mark(organisation, interaction_days, later_periods=True)
        audit.record(organisation, actor, "customer.erased", counts=counts)
        announce_after_commit(organisation)
    return counts
