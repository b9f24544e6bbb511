"""The organisation's audit log: one function every app calls to add an entry (who, when,
what), and the names of the actions it records. Entries are never changed or removed."""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from organisations.models import AuditEntry

ACTIONS = {
    "person.added": _("person added"),
    "person.changed": _("person changed"),
    "person.removed": _("person removed"),
    "role.changed": _("role changed"),
    "team.added": _("team added"),
    "team.changed": _("team changed"),
    "team.removed": _("team removed"),
    "membership.added": _("added to a team"),
    "membership.changed": _("team membership changed"),
    "membership.removed": _("removed from a team"),
    "person.left": _("person marked as having left"),
    "person.forgotten": _("person who left anonymised"),
    "people.imported": _("people imported from a file"),
    "department.added": _("department added"),
    "department.changed": _("department changed"),
    "single_sign_on.changed": _("single sign-on changed"),
    "webhook.added": _("webhook added"),
    "webhook.paused": _("webhook paused"),
    "webhook.resumed": _("webhook resumed"),
    "webhook.removed": _("webhook removed"),
    "settings.changed": _("organisation settings changed"),
    "token.created": _("integration token created"),
    "token.revoked": _("integration token revoked"),
    "survey.opened": _("alignment survey opened"),
    "survey.closed": _("alignment survey closed"),
    "comments.exported": _("comments exported"),
    "customer.exported": _("a customer's data exported"),
    "customer.erased": _("a customer's data erased"),
}


def actor_label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def record(organisation, actor, action: str, subject: str = "", **details) -> AuditEntry:
    """Add an entry. ``actor`` is the person (or None for the system); ``details`` hold only
    what the reader needs (changed settings, counts), never a customer's data."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEntry.objects.create(
        organisation=organisation,
        actor_id=getattr(actor, "pk", None),
        actor=actor_label(actor),
        action=action,
        subject=str(subject)[:300],
        details=details,
    )


def form_changes(form, *, secret=()) -> dict:
    """A saved form's real changes as ``{field: [before, after]}``; fields named in ``secret``
    say only that they changed."""
    changes = {}
    for name in form.changed_data:
        before, after = form.initial.get(name), form.cleaned_data.get(name)
        if name in secret:
            changes[name] = ["…", "…"]
        elif _shown(before) != _shown(after):
            changes[name] = [_shown(before), _shown(after)]
    return changes


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set) or hasattr(value, "model"):  # several choices
        return ", ".join(sorted(str(getattr(item, "pk", item)) for item in value))
    return str(value)


COUNT_LABELS = {
    "responses": _("responses"),
    "interactions": _("interactions"),
    "answers sent": _("answers sent"),
    "import files": _("stored import files"),
    "follow-ups": _("follow-ups"),
    "praise passed on": _("comments passed on as praise"),
    "invitations": _("survey invitations"),
    "changes": _("changes"),
    "new people": _("new people"),
}


def label(action: str) -> str:
    return ACTIONS.get(action, action)


def detail_lines(entry, model) -> list[str]:
    """The entry's details as a reader reads them: each changed field by its own label
    (``model``'s verbose names) with before → after, and each count by its label."""
    lines = []
    for name, (before, after) in entry.details.get("changes", {}).items():
        try:
            field_label = model._meta.get_field(name).verbose_name
        except FieldDoesNotExist:  # a field that no longer exists keeps its recorded name
            field_label = name
        lines.append(f"{field_label}: {before} → {after}")
    counts = entry.details.get("counts", {})
    if counts:
        lines.append(", ".join(f"{COUNT_LABELS.get(k, k)}: {n}" for k, n in counts.items()))
    return lines
