"""Getting events to the channel layer, including in embedded mode.

The in-memory channel layer lives inside one process, so an event published by
another process (the task worker, a management command) would never reach the
clients of Daphne. In embedded mode each Daphne process therefore runs one
`EmbeddedRelay` while it has clients: it reads the event log every
LIVE_RELAY_POLL_SECONDS and forwards what it has not sent itself. With Redis the
layer is shared between processes and no relay runs. See docs/live-protocol.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import BaseChannelLayer, InMemoryChannelLayer

from . import conf
from .models import Event
from .topics import group_name

logger = logging.getLogger(__name__)

# Enough to remember every event a busy process sent during a few poll intervals.
RECENT_IDS = 4096
POLL_BATCH = 500


def is_embedded(layer: BaseChannelLayer | None) -> bool:
    return isinstance(layer, InMemoryChannelLayer)


def layer_message(event: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message for one event: its JSON encoded once, here, and
    sent as-is by every consumer (one encoding per event, not one per tab)."""
    return {
        "type": "live.event",
        "id": event["id"],
        "topic": event["topic"],
        "text": encode(event),
    }


def encode(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))


class EmbeddedRelay:
    """One per process: forwards events other processes wrote to this process's
    in-memory layer, and runs this process's own sends on the layer's event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[None] | None = None
        self.layer: BaseChannelLayer | None = None
        self.connections = 0
        self.cursor = 0
        self._recent: deque[int] = deque(maxlen=RECENT_IDS)
        self._recent_set: set[int] = set()
        self._lock = threading.Lock()

    # -- bookkeeping called by the consumer (always on the server's loop) --------

    def connection_opened(self, layer: BaseChannelLayer | None) -> None:
        if not is_embedded(layer):
            return
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            # A new server loop (tests run one loop per test): start afresh.
            self.loop, self.connections, self.task = loop, 0, None
        self.layer = layer
        self.connections += 1
        polling = conf.get("LIVE_RELAY_POLL_SECONDS") > 0
        if polling and (self.task is None or self.task.done()):
            self.task = loop.create_task(self._run(), name="live-embedded-relay")

    def connection_closed(self, layer: BaseChannelLayer | None) -> None:
        if not is_embedded(layer) or self.loop is not _running_loop():
            return
        self.connections = max(0, self.connections - 1)
        if self.connections == 0 and self.task is not None:
            # Nobody to forward to: stop reading the log until someone connects.
            self.task.cancel()
            self.task = None

    # -- sending ---------------------------------------------------------------

    def remember(self, event_id: int) -> bool:
        """Note an id as sent by this process; False if it was sent already."""
        with self._lock:
            if event_id in self._recent_set:
                return False
            if len(self._recent) == self._recent.maxlen:
                self._recent_set.discard(self._recent[0])
            self._recent.append(event_id)
            self._recent_set.add(event_id)
            return True

    def group_send(self, layer: BaseChannelLayer, event: dict[str, Any]) -> None:
        """Send from synchronous code (an on-commit callback), on the right loop.

        The in-memory layer's queues belong to the loop the consumers wait on; a
        send from another thread's loop would not wake them. So when the relay
        knows that loop, the send is handed to it.
        """
        message = layer_message(event)
        group = group_name(event["topic"])
        send_sync = getattr(layer, "group_send_sync", None)
        if send_sync is not None:
            # The Redis fan-out layer publishes from any thread, loop or not.
            send_sync(group, message)
            return
        if is_embedded(layer):
            self.remember(event["id"])
            loop = self.loop
            if loop is not None and loop.is_running() and not loop.is_closed():
                if _running_loop() is loop:
                    loop.create_task(layer.group_send(group, message))
                    return
                future = asyncio.run_coroutine_threadsafe(
                    layer.group_send(group, message), loop
                )
                try:
                    future.result(timeout=5)
                except FutureTimeout:
                    logger.warning(
                        "live event %s: the server loop is busy", event["id"]
                    )
                return
        send = async_to_sync(layer.group_send)
        if _running_loop() is not None:
            # Synchronous code inside a running loop (a test driving a browser, a
            # sync helper called from async code): async_to_sync refuses to run
            # here, so the send gets a thread of its own.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(send, group, message).result(timeout=5)
            return
        send(group, message)

    # -- the poller --------------------------------------------------------------

    async def _run(self) -> None:
        interval = float(conf.get("LIVE_RELAY_POLL_SECONDS"))
        self.cursor = await _latest_event_id()
        while True:
            await asyncio.sleep(interval)
            try:
                await self._forward_new_events()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A locked or restarting database must not end live updates.
                logger.exception("live relay could not read the event log")

    async def _forward_new_events(self) -> None:
        while True:
            events = await _events_after(self.cursor, POLL_BATCH)
            for event in events:
                self.cursor = event["id"]
                if self.remember(event["id"]) and self.layer is not None:
                    await self.layer.group_send(
                        group_name(event["topic"]), layer_message(event)
                    )
            if len(events) < POLL_BATCH:
                return


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@database_sync_to_async
def _latest_event_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


@database_sync_to_async
def _events_after(cursor: int, limit: int) -> list[dict[str, Any]]:
    # Ids commit in order (see publish.py), so nothing below the cursor can
    # still appear later.
    return [e.as_message() for e in Event.objects.filter(id__gt=cursor)[:limit]]


relay = EmbeddedRelay()


def catch_up(layer: Any, since: float) -> int:
    """After this process's Redis subscription was down (or a join was not
    confirmed in time): hand its own tabs the events logged from wall-clock time
    `since` on (synchronous; the layer's subscriber thread calls it). How many
    were handed on."""
    from datetime import UTC, datetime

    limit = int(conf.get("LIVE_REPLAY_MAX_EVENTS"))
    start = datetime.fromtimestamp(since, tz=UTC)
    events = list(Event.objects.filter(created_at__gte=start).order_by("id")[:limit])
    for event in events:
        message = event.as_message()
        layer.dispatch(group_name(event.topic), layer_message(message))
    if events:
        logger.warning(
            "live: %d events handed on from the log after a gap", len(events)
        )
    return len(events)
