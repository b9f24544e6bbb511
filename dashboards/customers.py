"""A customer's data on request (GDPR): found by the reference the organisation knows (hashed
as ingest hashes it), exported whole, or erased whole, with the figures recomputed and the
erasure in the audit log without anything about the customer.

Rows that reference a customer's response (answers sent to them, marks, the link from an idea
to their comment; the idea stays) go with it. Apps that keep more about a customer subscribe
to ``feedback.signals.customer_erased``."""

from dataclasses import dataclass, field

from django.db import transaction

from dashboards.models import Reply
from feedback.models import DirtyMark, ImportJob, Interaction, Response
from feedback.privacy import customer_hasher
from feedback.signals import announce_after_commit, customer_erased
from organisations import audit


@dataclass
class CustomerData:
    reference_given: bool
    customer_hash: str = ""
    responses: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    replies: list = field(default_factory=list)
    import_files: list = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.responses or self.interactions or self.import_files)

    def counts(self) -> dict:
        return {
            "responses": len(self.responses),
            "interactions": len(self.interactions),
            "answers sent": len(self.replies),
            "import files": len(self.import_files),
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
        # Answers sent, marks and idea links go with the responses (the ideas stay).
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
