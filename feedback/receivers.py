"""Capture listens to the ground floor: a change of time zone restamps the rows' local days."""

from django.dispatch import receiver

from feedback import tasks
from organisations.enqueue import send
from organisations.signals import time_zone_changed


@receiver(time_zone_changed)
def restamp_after_a_change_of_zone(sender, clock_change, **kwargs):
    send(tasks.restamp_local_days, clock_change.pk)
