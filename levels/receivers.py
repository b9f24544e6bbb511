"""What the seven-level plan does when the ground floor says a person left."""

from django.dispatch import receiver

from levels.models import PlanItem, PlanItemStatus
from organisations.signals import person_left


@receiver(person_left, dispatch_uid="levels.open_items_of_a_leaver")
def release_open_items(sender, person, **kwargs):
    """A leaver's open plan items lose their owner, so the plan shows them as unowned and
    someone picks them up; done and dropped items keep who did them."""
    PlanItem.objects.filter(owner=person).exclude(
        status__in=[PlanItemStatus.DONE, PlanItemStatus.DROPPED]
    ).update(owner=None)
