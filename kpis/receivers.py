"""The KPI engine listens to capture: when rows are stored and marked, a worker recomputes the
marked periods. If the broker cannot take the task, the marks wait for the sweeper."""

from django.dispatch import receiver

from feedback.signals import marked_dirty
from kpis.tasks import recompute_rollups
from organisations.enqueue import send


@receiver(marked_dirty)
def recompute_marked(sender, organisation, **kwargs):
    send(recompute_rollups, organisation.pk)
