"""A Redis cache that degrades to this process's memory while Redis is away.

The cache holds nothing that cannot be rebuilt (rendered fragments, rate-limit
counters, allauth's login counters), so a request must never fail because Redis
did: while Redis is unreachable every call goes to a per-process local-memory
cache, Redis is tried again after a short pause, and the outage is logged as a
warning at most once a minute rather than once a request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# Seconds to serve from memory before trying Redis again after a failure, and
# between two warnings about the same outage.
RETRY_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class FallbackRedisCache(RedisCache):
    """Django's RedisCache, with a per-process LocMemCache behind it.

    OPTIONS are passed to Redis as usual; short socket timeouts are set unless
    given, so an unreachable host costs a fraction of a second, once per pause.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": dict(params.get("OPTIONS", {}))}
        params["OPTIONS"].setdefault("socket_connect_timeout", 0.5)
        params["OPTIONS"].setdefault("socket_timeout", 1.0)
        super().__init__(server, params)
        self.fallback = LocMemCache(
            f"agora-fallback-{id(self)}",
            {
                "TIMEOUT": params.get("TIMEOUT", DEFAULT_TIMEOUT),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
            },
        )
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._last_warning = float("-inf")
        self._errors = _redis_errors()

    # -- state -----------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """True while calls are being served from memory."""
        return time.monotonic() < self._down_until

    def _failed(self, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until = now + RETRY_AFTER_SECONDS
            warn = now - self._last_warning >= WARN_EVERY_SECONDS
            if warn:
                self._last_warning = now
        if warn:
            logger.warning(
                "Redis cache unreachable (%s); serving the cache from this "
                "process's memory until it returns",
                error,
            )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if not self.degraded:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except self._errors as error:
                self._failed(error)
        return getattr(self.fallback, name)(*args, **kwargs)

    def ping(self) -> bool:
        """Ask Redis itself (for /healthz/ready); no fallback."""
        try:
            client = self._cache.get_client(write=False)
            return bool(client.ping())
        except self._errors as error:
            self._failed(error)
            return False

    # -- the cache API -----------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):  # type: ignore[no-untyped-def]
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):  # type: ignore[no-untyped-def]
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):  # type: ignore[no-untyped-def]
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):  # type: ignore[no-untyped-def]
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):  # type: ignore[no-untyped-def]
        return self._call("delete_many", keys, version)

    def clear(self):  # type: ignore[no-untyped-def]
        self.fallback.clear()
        return self._call("clear")
