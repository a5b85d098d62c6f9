"""Counting open WebSockets per session and per client address, for the caps
LIVE_MAX_CONNECTIONS_PER_SESSION and LIVE_MAX_CONNECTIONS_PER_IP.

With the Redis layer the count is shared by every server process: each key is a
Redis sorted set of connection ids scored by when their claim lapses. A process
renews the claims of its open connections every COUNT_TTL_SECONDS / 3, so the
connections of a process that died stop counting within COUNT_TTL_SECONDS. One
Lua script checks every cap and adds the connection atomically.

Without Redis (the embedded default), and whenever Redis does not answer within
LIVE_COUNT_TIMEOUT_SECONDS, the connection is counted in this process's memory
instead: a slow or absent Redis never fails a connect (no 500, no 1011); the cap
then holds per process until Redis is back. A warning says so once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from typing import Any

from . import conf

logger = logging.getLogger(__name__)

COUNT_TTL_SECONDS = 60.0
WARN_EVERY_SECONDS = 60.0

Keys = list[tuple[str, str]]  # (setting naming the cap, counter key)


def connection_keys(scope: dict[str, Any]) -> Keys:
    keys = []
    session = scope.get("session")
    session_key = getattr(session, "session_key", None) if session else None
    if session_key:
        keys.append(("LIVE_MAX_CONNECTIONS_PER_SESSION", f"session:{session_key}"))
    client = scope.get("client")
    if client:
        keys.append(("LIVE_MAX_CONNECTIONS_PER_IP", f"ip:{client[0]}"))
    return keys


class MemoryCounts:
    """Open connections of this process. Consumers of one process share one
    event loop, so no lock is needed."""

    def __init__(self) -> None:
        self.by_key: Counter[str] = Counter()

    def open(self, keys: Keys) -> str | None:
        """Count a connection in; the name of the cap it would break, if any."""
        for setting, key in keys:
            if self.by_key[key] >= int(conf.get(setting)):
                return setting
        for _setting, key in keys:
            self.by_key[key] += 1
        return None

    def close(self, keys: Keys) -> None:
        for _setting, key in keys:
            self.by_key[key] -= 1
            if self.by_key[key] <= 0:
                del self.by_key[key]


# KEYS: the counters; ARGV: now, lapses-at, member, ttl, then one cap per key.
# Returns 0 when counted in, else the 1-based index of the cap that is full.
OPEN_SCRIPT = """
local now, lapses, member, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZSCORE', key, member) == false
     and redis.call('ZCARD', key) >= tonumber(ARGV[4 + i]) then
    return i
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, lapses, member)
  redis.call('EXPIRE', key, ttl)
end
return 0
"""


class RedisCounts:
    """Counts shared by all processes, in the channel layer's Redis."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.script = client.register_script(OPEN_SCRIPT)
        self._open: dict[str, Keys] = {}  # member -> keys, for renewing
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def redis_key(self, key: str) -> str:
        return f"{self.prefix}:conns:{key}"

    def open(self, keys: Keys, member: str) -> str | None:
        now = time.time()
        index = self.script(
            keys=[self.redis_key(k) for _s, k in keys],
            args=[
                now,
                now + COUNT_TTL_SECONDS,
                member,
                int(COUNT_TTL_SECONDS) + 1,
                *[int(conf.get(s)) for s, _k in keys],
            ],
        )
        if index:
            return keys[int(index) - 1][0]
        with self._lock:
            self._open[member] = keys
        self._ensure_renewer()
        return None

    def close(self, keys: Keys, member: str) -> None:
        with self._lock:
            self._open.pop(member, None)
        pipe = self.client.pipeline(transaction=False)
        for _s, key in keys:
            pipe.zrem(self.redis_key(key), member)
        pipe.execute()

    def renew(self) -> None:
        with self._lock:
            items = list(self._open.items())
        if not items:
            return
        lapses = time.time() + COUNT_TTL_SECONDS
        pipe = self.client.pipeline(transaction=False)
        for member, keys in items:
            for _s, key in keys:
                pipe.zadd(self.redis_key(key), {member: lapses}, xx=True)
        pipe.execute()

    def _ensure_renewer(self) -> None:
        with self._lock:
            if self._renewer is not None and self._renewer.is_alive():
                return
            self._renewer = threading.Thread(
                target=self._renew_forever, name="live-count-renewer", daemon=True
            )
            self._renewer.start()

    def _renew_forever(self) -> None:
        while True:
            time.sleep(COUNT_TTL_SECONDS / 3)
            with self._lock:
                if not self._open:
                    self._renewer = None
                    return
            try:
                self.renew()
            except Exception as error:
                logger.warning("live: could not renew connection counts: %s", error)


class ConnectionCounter:
    """What the consumer asks: count me in (or say which cap is full), count me out.
    Remembers, per connection, where it was counted."""

    def __init__(self) -> None:
        self.memory = MemoryCounts()
        self._last_warning = float("-inf")

    def shared(self, layer: Any) -> RedisCounts | None:
        """The layer's shared counts, if it is the Redis layer (kept on it)."""
        client = getattr(layer, "client", None)
        if client is None or not callable(client):
            return None
        counts = getattr(layer, "connection_counts", None)
        if counts is None:
            counts = RedisCounts(client(), getattr(layer, "prefix", "agora"))
            layer.connection_counts = counts
        return counts

    async def open(self, layer: Any, keys: Keys, member: str) -> tuple[str | None, str]:
        """(the cap that is full or None, where it was counted: "redis"/"memory")."""
        if not keys:
            return None, "memory"
        shared = self.shared(layer)
        if shared is not None:
            try:
                over = await asyncio.wait_for(
                    asyncio.to_thread(shared.open, keys, member),
                    timeout=float(conf.get("LIVE_COUNT_TIMEOUT_SECONDS")),
                )
                return over, "redis"
            except Exception as error:  # timeout, connection refused, ...
                self._warn(error)
        return self.memory.open(keys), "memory"

    async def close(self, layer: Any, keys: Keys, member: str, where: str) -> None:
        if where == "memory":
            self.memory.close(keys)
            return
        shared = self.shared(layer)
        if shared is None:
            return
        try:
            await asyncio.wait_for(
                asyncio.to_thread(shared.close, keys, member),
                timeout=float(conf.get("LIVE_COUNT_TIMEOUT_SECONDS")),
            )
        except Exception as error:
            # The claim lapses by itself within COUNT_TTL_SECONDS.
            with shared._lock:
                shared._open.pop(member, None)
            self._warn(error)

    def _warn(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            logger.warning(
                "live: Redis did not count a connection (%s: %s); counting in "
                "this process until it answers",
                type(error).__name__,
                error,
            )


counter = ConnectionCounter()
