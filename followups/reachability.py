"""Whether an unhappy customer can be reached, and how: the one rule that decides between a
follow-up with an owner and an answer the team only discusses. A new way (answers through
personal invitations) was one more entry in ``WAYS``."""

from django.db.models import Case, CharField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from feedback.models import Source

EMAIL = "email"
EXTERNAL_ID = "external_id"
INVITATION = "invitation"

# Checked in this order; the first that fits is how the follow-up reaches the customer.
WAYS = [
    # The customer left an address on the form, with their consent to be contacted.
    (EMAIL, _("contact address left by the customer"), ~Q(contact_email="")),
    # The organisation's own system sent the answer with its id: it can look the customer up.
    (
        EXTERNAL_ID,
        _("the organisation's own reference"),
        Q(source=Source.API, external_id__isnull=False),
    ),
    # A personal invitation after a contact: the organisation knows whom it invited, by the
    # contact's reference in its own system.
    (INVITATION, _("the personal invitation after a contact"), Q(invitation__isnull=False)),
]
LABELS = {name: label for name, label, _condition in WAYS}


def reachable() -> Q:
    """Responses whose customer can be reached one way or another."""
    condition = Q(pk__in=[])
    for _name, _label, way in WAYS:
        condition |= way
    return condition


def with_way(responses):
    """The responses, each annotated with ``reached_by`` (empty when unreachable)."""
    return responses.annotate(
        reached_by=Case(
            *(When(condition, then=Value(name)) for name, _label, condition in WAYS),
            default=Value(""),
            output_field=CharField(),
        )
    )
