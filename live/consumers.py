"""The one WebSocket endpoint, /ws/live/: subscribe to topics, receive their events,
and after a reconnect get every missed event replayed first, without duplicates.

The protocol is documented in docs/live-protocol.md.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from . import conf
from .connections import connection_keys, counter
from .daphne_direct import EXTENSION
from .models import Event
from .relay import encode, relay
from .topics import can_read, group_name

logger = logging.getLogger(__name__)

# Close codes (RFC 6455): 1008 policy violation, 1009 message too big.
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
# How many delivered ids a connection remembers to drop a second copy of an event
# (a replayed event that also arrives live, or one the embedded relay forwards too).
SENT_IDS_KEPT = 2048


class TokenBucket:
    """`rate` messages a second on average, with bursts of up to `rate`."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One browser tab's live connection: its topics and what it has been sent."""

    async def connect(self) -> None:
        self.topics: set[str] = set()
        self.sent: deque[int] = deque(maxlen=SENT_IDS_KEPT)
        self.sent_set: set[int] = set()
        self.bucket = TokenBucket(float(conf.get("LIVE_MAX_MESSAGES_PER_SECOND")))
        self.counted: list[tuple[str, str]] = []
        self.counted_in = ""
        # Live events the layer queued for this tab instead of pushing them (see
        # `push`), and whether a subscribe (with its replay) is under way.
        self.queued = 0
        self.subscribing = False
        self.send_prepared: Callable[[str], bool] | None = (
            (self.scope.get("extensions") or {}).get(EXTENSION)
            if conf.get("LIVE_DIRECT_SEND")
            else None
        )
        keys = connection_keys(self.scope)
        # Counted across processes when the layer is Redis (in this process's
        # memory otherwise, or while Redis does not answer): see connections.py.
        over, where = await counter.open(self.channel_layer, keys, self.channel_name)
        await self.accept()
        if over is not None:
            # Accept first, so the browser gets a reason rather than a bare 403.
            await self.refuse_and_close(
                "too_many_connections",
                _(
                    "Live updates are open in too many tabs. Close some, then "
                    "reload this page."
                ),
                CLOSE_POLICY,
                detail=over,
            )
            return
        self.counted, self.counted_in = keys, where
        relay.connection_opened(self.channel_layer)
        set_sink = getattr(self.channel_layer, "set_sink", None)
        if self.send_prepared is not None and set_sink is not None:
            set_sink(self.channel_name, self.push)

    async def disconnect(self, code: int) -> None:
        set_sink = getattr(self.channel_layer, "set_sink", None)
        if set_sink is not None and getattr(self, "send_prepared", None) is not None:
            set_sink(self.channel_name, None)
        for topic in getattr(self, "topics", ()):
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)
        if getattr(self, "counted", None):
            keys, self.counted = self.counted, []
            await counter.close(
                self.channel_layer, keys, self.channel_name, self.counted_in
            )
            relay.connection_closed(self.channel_layer)

    # -- client -> server ----------------------------------------------------------

    async def receive(
        self,
        text_data: str | None = None,
        bytes_data: bytes | None = None,
        **kwargs: Any,
    ) -> None:
        size = (
            len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        )
        if size > conf.get("LIVE_MAX_MESSAGE_BYTES"):
            await self.refuse_and_close(
                "message_too_large",
                _("That message is too large."),
                CLOSE_TOO_BIG,
            )
            return
        if not self.bucket.take():
            await self.refuse_and_close(
                "rate_limited",
                _("Too many messages. Reload the page to reconnect."),
                CLOSE_POLICY,
            )
            return
        if text_data is None:
            await self.error("bad_request", _("Send JSON text messages."))
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("bad_request", _("That message is not valid JSON."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        topics = content.get("topics") if isinstance(content, dict) else None
        if action not in ("subscribe", "unsubscribe"):
            await self.error(
                "bad_request", _('"action" must be "subscribe" or "unsubscribe".')
            )
            return
        if (
            not isinstance(topics, list)
            or not topics
            or not all(isinstance(t, str) for t in topics)
        ):
            await self.error("bad_request", _('"topics" must be a list of names.'))
            return
        topics = list(dict.fromkeys(topics))  # keep the order, drop repeats
        if action == "unsubscribe":
            await self.unsubscribe(topics)
            return
        last_event_id = content.get("last_event_id")
        if last_event_id is not None and (
            not isinstance(last_event_id, int)
            or isinstance(last_event_id, bool)
            or last_event_id < 0
        ):
            await self.error(
                "bad_request", _('"last_event_id" must be a whole number.')
            )
            return
        await self.subscribe(topics, last_event_id)

    async def subscribe(self, topics: list[str], last_event_id: int | None) -> None:
        # Events that arrive meanwhile wait in the channel and go out after the
        # acknowledgement and the replay, in order (see `push`).
        self.subscribing = True
        try:
            await self._subscribe(topics, last_event_id)
        finally:
            self.subscribing = False

    async def _subscribe(self, topics: list[str], last_event_id: int | None) -> None:
        new = [t for t in topics if t not in self.topics]
        if len(self.topics) + len(new) > conf.get("LIVE_MAX_TOPICS_PER_CONNECTION"):
            await self.refuse_and_close(
                "too_many_topics",
                _("This page asked for too many live topics."),
                CLOSE_POLICY,
            )
            return
        readable = await self.readable(new)
        refused = [t for t in new if t not in readable]
        if refused:
            await self.error(
                "forbidden",
                _("You cannot follow these topics."),
                topics=refused,
            )
        accepted = [t for t in topics if t in self.topics or t in readable]
        if not accepted:
            return
        # Join the groups before reading the log: an event committed after the
        # read arrives through the group, and one in both is sent only once.
        for topic in accepted:
            if topic not in self.topics:
                await self.channel_layer.group_add(group_name(topic), self.channel_name)
                self.topics.add(topic)
        await self.send_json({"type": "subscribed", "topics": accepted})
        if last_event_id is None:
            return
        # Channels dispatches one message at a time, so group messages that arrive
        # while the replay is read wait in the channel and come after it.
        missed = await self.missed_events(accepted, last_event_id)
        if missed is None:
            await self.error(
                "replay_unavailable",
                _("This page missed too many updates. Reload it to see the latest."),
                topics=accepted,
            )
            return
        for event in missed:
            await self.deliver(event)

    async def unsubscribe(self, topics: list[str]) -> None:
        for topic in topics:
            if topic in self.topics:
                self.topics.discard(topic)
                await self.channel_layer.group_discard(
                    group_name(topic), self.channel_name
                )

    # -- server -> client ----------------------------------------------------------

    def push(self, message: dict[str, Any]) -> bool:
        """Called by the channel layer, on this server's event loop, for a group
        message: write it to the socket now, framed once per process (see
        live/daphne_direct.py), rather than wake this tab's task to send it.
        False asks the layer to queue it for `live_event` instead: while a
        subscribe is replaying, or while earlier events still wait in the queue,
        so that events keep their order."""
        if self.subscribing or self.queued:
            self.queued += 1
            return False
        if message["topic"] not in self.topics or message["id"] in self.sent_set:
            return True
        send_prepared = self.send_prepared
        if send_prepared is None or not send_prepared(message["text"]):
            self.queued += 1
            return False  # closing: the ASGI path handles (and drops) it
        self.remember(message["id"])
        return True

    async def live_event(self, message: dict[str, Any]) -> None:
        """A group message that came through the queue: one event published on a
        topic this connection follows. Its JSON was encoded once by the publisher
        (relay.layer_message) and goes out as it is."""
        if self.queued:
            self.queued -= 1
        if message["topic"] in self.topics:
            await self.deliver_text(message["id"], message["text"])

    async def deliver(self, event: dict[str, Any]) -> None:
        """A replayed event (read from the log for this connection)."""
        if event["id"] not in self.sent_set:
            await self.deliver_text(event["id"], encode(event))

    async def deliver_text(self, event_id: int, text: str) -> None:
        if event_id in self.sent_set:
            return
        self.remember(event_id)
        await self.send(text_data=text)

    def remember(self, event_id: int) -> None:
        if len(self.sent) == self.sent.maxlen:
            self.sent_set.discard(self.sent[0])
        self.sent.append(event_id)
        self.sent_set.add(event_id)

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json(
            {"type": "error", "code": code, "message": message, **extra}
        )

    async def refuse_and_close(
        self, code: str, message: str, close_code: int, *, detail: str = ""
    ) -> None:
        """A client broke a limit: say why, then close with a policy (1008) or
        too-big (1009) code. It is the client's doing, so one INFO line is logged."""
        client = self.scope.get("client") or ("?",)
        logger.info(
            "live connection from %s closed (%s): %s %s",
            client[0],
            close_code,
            code,
            detail,
        )
        await self.error(code, message)
        # The close reason is for people reading logs and dev tools; the error
        # message just sent is what the page shows.
        await self.close(code=close_code, reason=code)

    # -- database ------------------------------------------------------------------

    @database_sync_to_async
    def readable(self, topics: list[str]) -> set[str]:
        user = self.scope.get("user")
        allowed = set()
        for topic in topics:
            try:
                if can_read(user, topic):
                    allowed.add(topic)
            except Exception:
                # A faulty read check refuses; it must not break the connection.
                logger.exception("read check failed for live topic %s", topic)
        return allowed

    @database_sync_to_async
    def missed_events(
        self, topics: list[str], last_event_id: int
    ) -> list[dict[str, Any]] | None:
        """Events after `last_event_id` on `topics`, in id order; None when some
        may have been pruned already or there are too many to replay."""
        oldest = Event.objects.order_by("id").values_list("id", flat=True).first()
        # Pruning always keeps the newest event, so a cursor below the oldest one
        # left means events in between were deleted. 0 means "the log was empty".
        if oldest is not None and 0 < last_event_id < oldest - 1:
            return None
        limit = int(conf.get("LIVE_REPLAY_MAX_EVENTS"))
        events = list(
            Event.objects.filter(topic__in=topics, id__gt=last_event_id).order_by("id")[
                : limit + 1
            ]
        )
        if len(events) > limit:
            return None
        return [e.as_message() for e in events]
