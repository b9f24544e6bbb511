"""The cache behind rate limits and login throttling: Redis, shared by every process, and while
Redis cannot be reached a cache in this process's memory, so the limits still hold (per
process) and a request never fails for them."""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY = 60  # seconds
# After a failure Redis is not tried again for this long, so a hung Redis costs one request
# its timeout, not every request.
PAUSE_AFTER_FAILURE = 5.0  # seconds


def _falling_back(name):
    def method(self, *args, **kwargs):
        return self._fallback(name, *args, **kwargs)

    method.__name__ = name
    return method


class RedisOrLocalCache(RedisCache):
    """Django's Redis cache that falls back to process memory while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self.local = LocMemCache(f"redis-fallback-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._warned_at = 0.0
        self._down_until = 0.0

    def _fallback(self, method, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return getattr(self.local, method)(*args, **kwargs)
        try:
            return getattr(super(), method)(*args, **kwargs)
        except UNREACHABLE as exc:
            now = time.monotonic()
            self._down_until = now + PAUSE_AFTER_FAILURE
            if now - self._warned_at > WARN_EVERY:
                self._warned_at = now
                logger.warning("Redis unreachable (%s); limits are per process", exc)
            return getattr(self.local, method)(*args, **kwargs)

    add = _falling_back("add")
    get = _falling_back("get")
    set = _falling_back("set")
    touch = _falling_back("touch")
    delete = _falling_back("delete")
    get_many = _falling_back("get_many")
    has_key = _falling_back("has_key")
    incr = _falling_back("incr")
    set_many = _falling_back("set_many")
    delete_many = _falling_back("delete_many")

    def clear(self):
        self.local.clear()
        return self._fallback("clear")
