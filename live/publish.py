"""`publish_on_commit`: the only way anything in Agora emits a live event.

The event is appended to the log inside the caller's transaction (so a rolled-back
action leaves no event) and sent to the topic's channel-layer group only after the
transaction commits. Only actions (`<app>/actions.py`) call it.

Ids are handed out in commit order. PostgreSQL allocates a sequence value when a
row is inserted, not when it commits, so a transaction that published event 10
could commit after one that published 11; a client that saw 11 and reconnected
with last_event_id=11 would never be replayed 10. A transaction-scoped advisory
lock taken just before the insert closes that gap: the next publisher waits until
this transaction has committed or rolled back. (SQLite already writes one
transaction at a time.) The cost is that publishing transactions finish one after
another from their first publish on, so actions publish after their other writes.
"""

import logging
import threading
import time
from typing import Any

from channels.layers import get_channel_layer
from django.db import connections, transaction

from . import conf, versions
from .models import Event
from .relay import relay
from .topics import MAX_TOPIC_LENGTH, TOPIC_RE

logger = logging.getLogger(__name__)

# Any constant will do, as long as nothing else in Agora takes this advisory lock.
EVENT_ORDER_LOCK = 0x11FE_0001


def publish_on_commit(
    topic: str, type: str, data: dict[str, Any], *, using: str = "default"
) -> Event:
    if len(topic) > MAX_TOPIC_LENGTH or not TOPIC_RE.match(topic):
        raise ValueError(f"not a live topic: {topic!r}")
    connection = connections[using]
    # savepoint=False: inside an action's transaction this adds no round trip;
    # called outside one, lock and insert still share one transaction.
    with transaction.atomic(using=using, savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_ORDER_LOCK])
        event = Event.objects.using(using).create(topic=topic, type=type, data=data)
    # Whatever an event reports changed what some page shows: cached pages made
    # before it are not served after it (live/versions.py: now, and on commit).
    versions.bump()
    transaction.on_commit(lambda: _committed(event), using=using)
    return event


def _committed(event: Event) -> None:
    versions.bump()
    send_event(event)


class UnsentEvents:
    """Events of this process that did not reach the channel layer (Redis away).

    They are safe in the event log, and a client that reconnects is replayed
    them. Clients that stayed connected get them when the layer is back: a
    background thread retries every LIVE_RESEND_RETRY_SECONDS (doubling up to
    ten times that) and resends, from the log, everything from the oldest unsent
    id on; the next publish does the same if it comes first. Clients drop ids
    they already have. A warning is logged once per outage."""

    BATCH = 500

    def __init__(self) -> None:
        self.oldest: int | None = None
        self._lock = threading.RLock()
        self._retrying: threading.Thread | None = None

    def failed(self, event: Event, error: BaseException) -> None:
        with self._lock:
            if self.oldest is None:
                logger.warning(
                    "live events cannot reach the channel layer (%s); they wait in "
                    "the event log from id %s",
                    error,
                    event.id,
                )
                self.oldest = event.id
            else:
                self.oldest = min(self.oldest, event.id)
            self._start_retrying()

    def resend(self, layer: object) -> int:
        """Resend the backlog; the last id sent (0 if none)."""
        with self._lock:
            if self.oldest is None:
                return 0
            last = 0
            while self.oldest is not None:
                backlog = list(
                    Event.objects.filter(id__gte=self.oldest).order_by("id")[
                        : self.BATCH
                    ]
                )
                for old in backlog:
                    relay.group_send(layer, old.as_message())  # raises while away
                    last = old.id
                    self.oldest = old.id + 1
                if len(backlog) < self.BATCH:
                    self.oldest = None
            logger.warning(
                "live events reach the channel layer again; resent from the log up "
                "to id %s",
                last,
            )
            return last

    def _start_retrying(self) -> None:
        interval = float(conf.get("LIVE_RESEND_RETRY_SECONDS"))
        if interval <= 0 or (self._retrying and self._retrying.is_alive()):
            return
        self._retrying = threading.Thread(
            target=self._retry, args=(interval,), name="live-resend", daemon=True
        )
        self._retrying.start()

    def _retry(self, interval: float) -> None:
        """Background: resend as soon as the layer takes events again."""
        delay = interval
        while True:
            time.sleep(delay)
            with self._lock:
                if self.oldest is None:
                    return
            layer = get_channel_layer()
            if layer is None:
                return
            try:
                self.resend(layer)
            except Exception as error:
                logger.debug("live resend: the layer is still away (%s)", error)
                delay = min(delay * 2, interval * 10)
            finally:
                connections.close_all()


unsent = UnsentEvents()


def send_event(event: Event) -> None:
    """Hand a stored event to the channel layer; a failure is logged, never raised,
    because the write it reports has already committed (clients catch up by replay,
    and the next send after the layer returns resends the gap)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if unsent.oldest is not None and unsent.resend(layer) >= event.id:
            return  # this event was in the backlog just resent
        relay.group_send(layer, event.as_message())
    except Exception as error:
        unsent.failed(event, error)
