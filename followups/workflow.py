"""Moving a follow-up on: open → contacted → closed, or "could not reach". Each step is a
conditional update, so a double click or two people at once move it once; a refusal says why
and changes nothing."""

from django.utils import timezone
from django.utils.translation import gettext as _

from followups.models import OPEN_STATES, FollowUp, State
from organisations import clock, roles


def can_work_on(user, followup) -> bool:
    """The owner, the team's lead and management move a follow-up on."""
    return followup.owner_id == user.pk or roles.can_manage_team(user, followup.team)


def mark_contacted(followup, *, by) -> str | None:
    if not can_work_on(by, followup):
        return _("Only the owner, the team's lead or management can move this follow-up on.")
    moved = FollowUp.objects.filter(pk=followup.pk, state=State.OPEN).update(
        state=State.CONTACTED, contacted_at=timezone.now()
    )
    if not moved:
        return _("This follow-up is no longer open.")
    return None


def close(followup, *, by, outcome, learned) -> str | None:
    if not can_work_on(by, followup):
        return _("Only the owner, the team's lead or management can move this follow-up on.")
    if outcome not in (State.CLOSED, State.UNREACHABLE):
        return _("Choose whether you spoke to the customer or could not reach them.")
    learned = (learned or "").strip()
    if not learned:
        return _("Write down what you learned (or what you tried) before closing.")
    now = timezone.now()
    moved = FollowUp.objects.filter(pk=followup.pk, state__in=OPEN_STATES).update(
        state=outcome,
        closed_at=now,
        closed_on=clock.local_today(followup.organisation),
        closed_by=by,
        learned=learned,
    )
    if not moved:
        return _("This follow-up is closed already.")
    return None
