"""Channel layers built for live updates: one event to thousands of tabs.

Agora's consumers only ever receive group messages (one event, many tabs), so
both layers are shaped for fan-out rather than for point-to-point channels:

- `LocalFanoutLayer` (embedded default, one process): Channels' in-memory layer
  without its two costs per message and per tab. The stock layer deep-copies the
  message and starts a task for every member of a group, and every `receive()`
  walks every queue of the process to expire old messages, so one event to N
  tabs cost O(N²) (1.3 s at 1,000 tabs). Here a group send puts the same
  (read-only) message in each member's queue, and expiry runs at most once a
  second.

- `RedisFanoutLayer` (with REDIS_URL, several processes): Redis pub/sub with one
  subscriber connection per process, not one blocking read per consumer. A group
  send is one PUBLISH; each process receives it once and hands the same message
  to its local members' queues. Tabs wait on in-process queues, so a slow or
  absent Redis never reaches a consumer: no `TimeoutError`, no 1011. While the
  subscriber is disconnected it retries with a short backoff and resubscribes
  every group that still has members; when it is back, it replays from the event
  log to its own tabs what they may have missed meanwhile (the consumer drops ids
  it has already sent).

Both layers also take a *sink* per channel (`set_sink`): a callable the
consumer offers for writing an event straight to its socket (see
live/daphne_direct.py). A group message is handed to the sink on the server's
event loop; only when the sink declines (a subscribe is replaying, earlier
events still wait) is it queued for the consumer's task as usual.

Direct sends to a channel (`send()`) reach channels of the same process only:
Agora sends nothing to a single channel across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, InMemoryChannelLayer

logger = logging.getLogger(__name__)

# Seconds between two expiry sweeps of the in-memory layer.
EXPIRE_EVERY_SECONDS = 1.0

# A consumer's offer to write a group message itself: True when it did (or the
# message was not for it), False to have it queued.
Sink = Callable[[dict[str, Any]], bool]


class DeliveryCounts:
    """What a layer did with the group messages of this process (reported by
    /healthz/ready): written straight to a socket, queued for a consumer's
    task, dropped (a tab too far behind)."""

    pushed = queued = dropped = 0

    def counts(self) -> dict[str, int]:
        return {"pushed": self.pushed, "queued": self.queued, "dropped": self.dropped}


class LocalFanoutLayer(DeliveryCounts, InMemoryChannelLayer):
    """In-memory layer whose group send costs O(members), not O(members²)."""

    def __init__(self, **kwargs: Any) -> None:
        # A tab stays in its groups as long as it is open (the stock default
        # silently drops memberships after a day).
        kwargs.setdefault("group_expiry", 10 * 365 * 86400)
        super().__init__(**kwargs)
        self._next_sweep = 0.0
        self.dropped = 0
        self.sinks: dict[str, tuple[Sink, asyncio.AbstractEventLoop]] = {}

    def set_sink(self, channel: str, sink: Sink | None) -> None:
        """Offer (or, with None, withdraw) a channel's sink; called on the loop
        that serves the channel, which is the only loop it is used on."""
        if sink is None:
            self.sinks.pop(channel, None)
        else:
            self.sinks[channel] = (sink, asyncio.get_running_loop())

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + EXPIRE_EVERY_SECONDS
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if not isinstance(message, dict):
            raise TypeError("message is not a dict")
        self.require_valid_group_name(group)
        self._clean_expired()
        expires = time.time() + self.expiry
        loop = asyncio.get_running_loop()
        for channel in list(self.groups.get(group, ())):
            offer = self.sinks.get(channel)
            if offer is not None and offer[1] is loop and offer[0](message):
                self.pushed += 1
                continue
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels[channel] = asyncio.Queue(
                    maxsize=self.get_capacity(channel)
                )
            try:
                # The same dict for every member: consumers only read it.
                queue.put_nowait((expires, message))
                self.queued += 1
            except asyncio.QueueFull:
                self.dropped += 1
                logger.warning("live: channel %s is full, message dropped", channel)


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.exceptions.RedisError, OSError)


class _Channel:
    """One consumer's inbox. The queue belongs to the event loop that waits on
    it; messages that arrive while no loop has claimed it wait in `early`."""

    __slots__ = ("name", "queue", "loop", "early", "sink", "sink_loop")

    def __init__(self, name: str) -> None:
        self.name = name
        self.queue: asyncio.Queue[dict[str, Any]] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.early: deque[dict[str, Any]] = deque()
        self.sink: Sink | None = None
        self.sink_loop: asyncio.AbstractEventLoop | None = None


class RedisFanoutLayer(DeliveryCounts, BaseChannelLayer):
    """Groups over Redis pub/sub, one subscriber thread per process.

    CONFIG: `hosts` (a list with one Redis URL), `prefix`, `capacity` (messages
    waiting per tab before new ones are dropped and logged), `socket_timeout`
    (seconds for a PUBLISH or a counter update before it counts as failed).
    """

    extensions = ["groups", "flush"]

    def __init__(
        self,
        hosts: list[Any] | None = None,
        prefix: str = "agora",
        capacity: int = 1000,
        socket_timeout: float = 1.0,
        expiry: int = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(expiry=expiry, capacity=capacity)
        host = (hosts or ["redis://127.0.0.1:6379/0"])[0]
        self.url = host if isinstance(host, str) else host["address"]
        self.prefix = prefix
        self.socket_timeout = socket_timeout
        self._lock = threading.Lock()
        self._channels: dict[str, _Channel] = {}
        self._groups: dict[str, set[str]] = {}
        # Subscription changes for the reader thread, and who waits for them.
        self._changes: deque[tuple[str, str]] = deque()
        self._confirmations: dict[str, list[Any]] = {}
        self._reader: threading.Thread | None = None
        self._client_: Any = None
        # Wall-clock time from which this process's tabs may have missed events
        # (the subscriber was down, or a join was not confirmed in time); the log
        # is replayed to them from there once every subscription is confirmed.
        self._catch_up_from: float | None = None
        self._alive_at = time.time()
        self.dropped = 0
        # "starting" until the subscriber first connects, then "up" or "down".
        self.state = "starting"

    # -- Redis -------------------------------------------------------------------

    def client(self) -> Any:
        """The process's Redis client (thread-safe pool, short timeouts)."""
        if self._client_ is None:
            import redis

            self._client_ = redis.Redis.from_url(
                self.url,
                socket_timeout=self.socket_timeout,
                socket_connect_timeout=self.socket_timeout,
                health_check_interval=30,
            )
        return self._client_

    def key(self, group: str) -> str:
        return f"{self.prefix}:group:{group}"

    # -- sending -------------------------------------------------------------------

    def group_send_sync(self, group: str, message: dict[str, Any]) -> None:
        """One PUBLISH from synchronous code; raises if Redis cannot take it."""
        self.require_valid_group_name(group)
        self.client().publish(self.key(group), json.dumps(message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await asyncio.to_thread(self.group_send_sync, group, message)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        with self._lock:
            target = self._channels.get(channel)
        if target is None:
            return  # not a channel of this process: Agora sends none of those
        self._deliver([target], message)

    def set_sink(self, channel: str, sink: Sink | None) -> None:
        """Offer (or, with None, withdraw) a channel's sink; it is called on the
        loop that offered it."""
        with self._lock:
            if sink is None:
                target = self._channels.get(channel)
                if target is not None:
                    target.sink = target.sink_loop = None
                return
            target = self._channels.setdefault(channel, _Channel(channel))
            target.sink, target.sink_loop = sink, asyncio.get_running_loop()

    # -- channels ------------------------------------------------------------------

    async def new_channel(self, prefix: str = "specific.") -> str:
        name = f"{self.prefix}.{prefix}{uuid.uuid4().hex}"
        with self._lock:
            self._channels[name] = _Channel(name)
        return name

    async def receive(self, channel: str) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        with self._lock:
            target = self._channels.setdefault(channel, _Channel(channel))
            queue = target.queue
            if queue is None or target.loop is not loop:
                # Claimed by this loop (a test may create a channel in one loop
                # and read it in another): keep what is already waiting.
                old, queue = queue, asyncio.Queue()
                target.queue, target.loop = queue, loop
                while old is not None and not old.empty():
                    queue.put_nowait(old.get_nowait())
            while target.early:
                queue.put_nowait(target.early.popleft())
        try:
            return await queue.get()
        except asyncio.CancelledError:
            # Channels cancels receive() when the consumer ends: forget it.
            self._forget(channel)
            raise

    def _forget(self, channel: str) -> None:
        with self._lock:
            self._channels.pop(channel, None)
            for group, members in list(self._groups.items()):
                if channel in members:
                    members.discard(channel)
                    if not members:
                        del self._groups[group]
                        self._changes.append(("unsubscribe", group))

    # -- groups --------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        """Join a group. Waits (briefly) until this process is subscribed to it in
        Redis, so that anything published afterwards reaches the channel; if Redis
        is away it returns at once and the subscription follows when it is back."""
        self.require_valid_group_name(group)
        with self._lock:
            self._channels.setdefault(channel, _Channel(channel))
            members = self._groups.setdefault(group, set())
            members.add(channel)
            first = len(members) == 1
            waiter = None
            if first or group in self._confirmations:
                waiter = asyncio.get_running_loop().create_future()
                self._confirmations.setdefault(group, []).append(waiter)
                if first:
                    self._changes.append(("subscribe", group))
            down = self.state == "down"
        self._ensure_reader()
        if waiter is not None and not down:
            try:
                await asyncio.wait_for(asyncio.shield(waiter), self.socket_timeout)
                return
            except TimeoutError:
                pass  # Redis is slow: the subscription lands when it can
        if down or waiter is not None:
            self._may_have_missed(time.time())

    def _may_have_missed(self, since: float) -> None:
        with self._lock:
            if self._catch_up_from is None or since < self._catch_up_from:
                self._catch_up_from = since

    async def group_discard(self, group: str, channel: str) -> None:
        with self._lock:
            members = self._groups.get(group)
            if not members or channel not in members:
                return
            members.discard(channel)
            if not members:
                del self._groups[group]
                self._changes.append(("unsubscribe", group))

    async def flush(self) -> None:
        with self._lock:
            for group in self._groups:
                self._changes.append(("unsubscribe", group))
            self._groups.clear()
            self._channels.clear()
            waiting = list(self._confirmations)
        for group in waiting:
            self._confirm(group)

    def group_size(self, group: str) -> int:
        with self._lock:
            return len(self._groups.get(group, ()))

    # -- delivery (called on the reader thread) ------------------------------------

    def _deliver(self, targets: list[_Channel], message: dict[str, Any]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Channel]] = {}
        with self._lock:
            for target in targets:
                loop = target.loop
                if (
                    loop is None
                    or loop.is_closed()
                    or not loop.is_running()
                    or target.queue is None
                ):
                    target.early.append(message)
                    continue
                by_loop.setdefault(loop, []).append(target)
        for loop, ready in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop closed just now
                loop.call_soon_threadsafe(self._put_all, loop, ready, message)

    def _put_all(
        self, loop: asyncio.AbstractEventLoop, targets: list[_Channel], message: Any
    ) -> None:
        """On `loop`: each tab's sink writes the message, or it is queued."""
        for target in targets:
            sink, queue = target.sink, target.queue
            if sink is not None and target.sink_loop is loop and sink(message):
                self.pushed += 1
                continue
            if queue is None:
                continue  # the tab ended meanwhile
            if queue.qsize() >= self.capacity:
                self.dropped += 1
                logger.warning(
                    "live: a tab is %d messages behind, one dropped", queue.qsize()
                )
                continue
            queue.put_nowait(message)
            self.queued += 1

    def dispatch(self, group: str, message: dict[str, Any]) -> None:
        """Hand a message to this process's members of a group (the same dict to
        each: consumers only read it)."""
        with self._lock:
            targets = [
                self._channels[name]
                for name in self._groups.get(group, ())
                if name in self._channels
            ]
        if targets:
            self._deliver(targets, message)

    # -- the subscriber thread -----------------------------------------------------

    def _ensure_reader(self) -> None:
        with self._lock:
            if self._reader is not None and self._reader.is_alive():
                return
            self._reader = threading.Thread(
                target=self._read_forever, name="live-redis-subscriber", daemon=True
            )
            self._reader.start()

    def _idle(self) -> bool:
        """No group left: the subscriber thread ends (it restarts on a join)."""
        with self._lock:
            if self._groups:
                return False
            self._reader = None
            self.state = "starting"
            return True

    def _read_forever(self) -> None:
        import redis

        errors = _redis_errors()
        backoff = 0.1
        outage_logged = False
        prefix = f"{self.prefix}:group:"
        while True:
            pubsub = None
            try:
                client = redis.Redis.from_url(
                    self.url,
                    socket_connect_timeout=self.socket_timeout,
                    # A Redis that stops answering is left after a few seconds.
                    socket_timeout=max(5.0, self.socket_timeout * 5),
                    socket_keepalive=True,
                    health_check_interval=2,
                )
                pubsub = client.pubsub()
                pubsub.subscribe(f"{self.prefix}:control")
                with self._lock:
                    groups = list(self._groups)
                    self._changes.clear()
                    for group in groups:  # catch up only once all are confirmed
                        self._confirmations.setdefault(group, [])
                if groups:
                    pubsub.subscribe(*[self.key(g) for g in groups])
                with self._lock:
                    self.state = "up"
                if outage_logged:
                    logger.warning(
                        "live: Redis is back; %d groups resubscribed", len(groups)
                    )
                    outage_logged = False
                backoff = 0.1
                while True:
                    self._apply_changes(pubsub)
                    message = pubsub.get_message(timeout=0.05)
                    self._alive_at = time.time()
                    if message is not None:
                        self._handle(message, prefix)
                    if self._catch_up_from is not None and not self._confirmations:
                        self._catch_up()
                    if self._idle():
                        return
            except errors as error:
                with self._lock:
                    self.state = "down"
                    waiting = list(self._confirmations)
                for group in waiting:
                    self._confirm(group)  # nobody waits on a Redis that is away
                self._may_have_missed(self._alive_at - 1.0)
                if not outage_logged:
                    logger.warning(
                        "live: Redis subscriber disconnected (%s); retrying", error
                    )
                    outage_logged = True
                if self._idle():
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # a broken connection
                        pubsub.close()

    def _handle(self, message: dict[str, Any], prefix: str) -> None:
        kind, channel = message["type"], message["channel"]
        if isinstance(channel, bytes):
            channel = channel.decode()
        if not channel.startswith(prefix):
            return
        group = channel[len(prefix) :]
        if kind == "message":
            self.dispatch(group, json.loads(message["data"]))
        elif kind == "subscribe":
            self._confirm(group)

    def _apply_changes(self, pubsub: Any) -> None:
        while True:
            with self._lock:
                if not self._changes:
                    return
                action, group = self._changes.popleft()
                wanted = group in self._groups
            if action == "subscribe" and wanted:
                pubsub.subscribe(self.key(group))
            elif action == "unsubscribe" and not wanted:
                pubsub.unsubscribe(self.key(group))
                self._confirm(group)

    def _confirm(self, group: str) -> None:
        with self._lock:
            waiters = self._confirmations.pop(group, [])
        for waiter in waiters:
            loop = waiter.get_loop()
            if loop.is_closed():
                continue
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, waiter)

    def _catch_up(self) -> None:
        """Every subscription is confirmed again: hand this process's tabs, from
        the log, what was published since they may have stopped hearing (they
        drop ids they already have)."""
        from .relay import catch_up

        with self._lock:
            since, self._catch_up_from = self._catch_up_from, None
        if since is None:
            return
        try:
            catch_up(self, since)
        except Exception:
            logger.exception("live: catching up from the event log failed")
        finally:
            _close_db()


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _close_db() -> None:
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()


__all__ = ["ChannelFull", "LocalFanoutLayer", "RedisFanoutLayer"]
