"""What follow-ups keep about a customer, for the erasure of a customer (issue 15): the
follow-up of each of their answers (with the note of what was learned, which may name them)
and the comment text that webhooks carried. Deleting the answers deletes their follow-ups
(a cascade); ``erase`` is for when the answers stay but the customer's words must go."""

from followups.models import FollowUp
from organisations import webhooks


def stored_for(organisation, customer_hash: str):
    """The follow-ups of a customer's answers (their reference, hashed as capture stores it)."""
    return FollowUp.objects.filter(
        organisation=organisation, response__customer_hash=customer_hash
    ).exclude(response__customer_hash="")


def erase(organisation, response_ids) -> int:
    """Forget what follow-ups and webhook logs hold of these answers' customers' words."""
    ids = list(response_ids)
    notes = FollowUp.objects.filter(organisation=organisation, response_id__in=ids).update(
        learned=""
    )
    return notes + webhooks.erase_comments_of(organisation, ids)
