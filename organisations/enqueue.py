"""Queueing background work from a request without letting a broker outage fail it: whatever
must happen is recorded in the database first, and a beat sweeper sends again what was lost."""

import logging
import time

logger = logging.getLogger(__name__)

# After the broker failed once, requests do not try it again for this long: each would wait
# for its timeout, and whatever they send is recorded for the sweepers anyway.
PAUSE_AFTER_FAILURE = 5.0  # seconds
_broker_down_until = 0.0


def send(task, *args) -> bool:
    """Queue a task now; False (and a warning) when the broker cannot take it. Gives up at
    once: no retry of sending, no result to wait for (subscribing to one would retry for
    seconds while Redis is down), and no try at all for a few seconds after one failed."""
    global _broker_down_until
    eager = task.app.conf.task_always_eager  # in-process: no broker to be down
    if not eager and time.monotonic() < _broker_down_until:
        logger.info("not queueing %s%s: the broker was down just now", task.name, args)
        return False
    try:
        task.apply_async(args, retry=False, ignore_result=True)
    except Exception:
        _broker_down_until = time.monotonic() + PAUSE_AFTER_FAILURE
        logger.warning("could not queue %s%s; it will be retried", task.name, args, exc_info=True)
        return False
    return True
