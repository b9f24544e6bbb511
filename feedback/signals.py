"""What capture tells the apps above it. Capture never imports the KPI engine: it records what it
touched (dirty marks, in the same transaction as the rows) and announces it once committed;
the engine subscribes (``kpis/apps.py``) and its sweeper reads the marks if a message is lost."""

from django.db import transaction
from django.dispatch import Signal

# Rows were stored, or re-tagged, and the team-days they touched marked dirty; sent once the
# transaction commits, with ``organisation``.
marked_dirty = Signal()


def announce_after_commit(organisation) -> None:
    transaction.on_commit(lambda: marked_dirty.send(sender=None, organisation=organisation))


# A customer's data is being erased (GDPR), inside the erasure's transaction and before the
# customer's responses and interactions are deleted; with ``organisation``, ``customer_hash``
# and the ``response_ids`` and ``interaction_ids`` about to go. Every app that keeps something
# about a customer (invitations, contact addresses, follow-ups, webhook deliveries…) subscribes
# and deletes its own rows, so one erasure removes everything in one transaction.
customer_erased = Signal()
