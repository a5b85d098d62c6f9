"""`publish_on_commit`: the only way anything in Agora emits a live event.

The event is appended to the log inside the caller's transaction (so a rolled-back
action leaves no event) and sent to the topic's channel-layer group only after the
transaction commits. Only actions (`<app>/actions.py`) call it.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Event
from .topics import group_name

logger = logging.getLogger(__name__)


def publish_on_commit(
    topic: str, type: str, data: dict[str, Any], *, using: str = "default"
) -> Event:
    event = Event.objects.using(using).create(topic=topic, type=type, data=data)
    transaction.on_commit(lambda: send_event(event), using=using)
    return event


def send_event(event: Event) -> None:
    """Hand a stored event to the channel layer; a failure is logged, never raised,
    because the write it reports has already committed (clients catch up by replay)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            group_name(event.topic), {"type": "live.event", "event": event.as_message()}
        )
    except Exception:
        logger.exception("could not send live event %s on %s", event.id, event.topic)
