"""Queueing background work from a request without letting a broker outage fail it: whatever
must happen is recorded in the database first, and a beat sweeper sends again what was lost."""

import logging

logger = logging.getLogger(__name__)


def send(task, *args) -> bool:
    """Queue a task now; False (and a warning) when the broker cannot take it."""
    try:
        task.apply_async(args, retry=False)
    except Exception:
        logger.warning("could not queue %s%s; it will be retried", task.name, args, exc_info=True)
        return False
    return True
