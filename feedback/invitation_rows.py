"""Validation of invitation requests (``POST /api/v1/invitations``): every row's team,
customer and interaction, collected as data (row, field, message), as ``feedback.rows`` does
for feedback rows."""

from django.utils.translation import gettext as _

from feedback.invitations import Contact
from feedback.models import Interaction
from feedback.privacy import customer_hasher
from feedback.rows import LANGUAGES, MAX_EXTERNAL_ID, MAX_REF, RowError, _field_text

FIELDS = frozenset({"team", "customer_ref", "external_id", "language"})


def validate(organisation, rows) -> tuple[list[Contact], list[RowError]]:
    """([Contact, …], []) or ([], [RowError, …]): all rows good, or every problem."""
    teams = dict(organisation.teams.values_list("slug", "id"))
    hash_ref = customer_hasher(organisation.customer_ref_secret)
    wanted = {
        row.get("external_id")
        for row in rows
        if isinstance(row, dict) and isinstance(row.get("external_id"), str)
    }
    interactions = {
        external_id: (pk, team_id)
        for external_id, pk, team_id in Interaction.objects.filter(
            organisation=organisation, external_id__in=wanted
        ).values_list("external_id", "pk", "team_id")
    }
    contacts, errors = [], []
    for number, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(RowError(number, "", _("A row must be an object with named fields.")))
            continue
        problems = []
        for field in row.keys() - FIELDS:
            problems.append(RowError(number, str(field)[:50], _("Unknown field.")))
        team = _field_text(row.get("team"), number, "team", problems)
        if team not in teams:
            message = (
                _("No team with slug “%(team)s”.") % {"team": team[:60]}
                if team
                else _("Required: the team’s slug.")
            )
            problems.append(RowError(number, "team", message))
        ref = _field_text(row.get("customer_ref"), number, "customer_ref", problems)
        if not ref:
            problems.append(RowError(number, "customer_ref", _("Required: who to invite.")))
        elif len(ref) > MAX_REF:
            problems.append(
                RowError(
                    number, "customer_ref", _("At most %(max)s characters.") % {"max": MAX_REF}
                )
            )
        external_id = _field_text(row.get("external_id"), number, "external_id", problems)
        found = interactions.get(external_id)
        if not external_id:
            problems.append(
                RowError(number, "external_id", _("Required: the interaction’s external_id."))
            )
        elif len(external_id) > MAX_EXTERNAL_ID or found is None:
            problems.append(
                RowError(number, "external_id", _("No interaction with this external_id."))
            )
        elif team in teams and found[1] != teams[team]:
            problems.append(
                RowError(number, "external_id", _("The interaction belongs to another team."))
            )
        language = _field_text(row.get("language"), number, "language", problems).lower()
        if language and language not in LANGUAGES:
            problems.append(RowError(number, "language", _("Must be nl or en.")))
        if problems:
            errors.extend(problems)
            continue
        contacts.append(
            Contact(
                team_id=teams[team],
                customer_hash=hash_ref(ref),
                interaction_id=found[0],
                language=language,
                sample_key=f"interaction:{found[0]}",
            )
        )
    return ([], errors) if errors else (contacts, [])
