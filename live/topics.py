"""Who may read which topic. Each app registers its topic prefixes in AppConfig.ready().

A topic is "<prefix>.<key>" ("idea.42", "thread.7", "user.3") or a bare name
("moderation.queue"). The WebSocket consumer asks `can_read(user, topic)` before
subscribing anyone; a topic nobody registered is refused.
"""

import re
from collections.abc import Callable
from typing import Any

TOPIC_RE = re.compile(r"^[a-z][a-z_]*(\.[A-Za-z0-9_-]{1,40})*$")
MAX_TOPIC_LENGTH = 90  # channel-layer group names must stay under 100 characters

# prefix -> can_read(user, key) where key is what follows "prefix." ("" if bare)
ReadCheck = Callable[[Any, str], bool]
_registry: dict[str, ReadCheck] = {}


def register_topic(prefix: str, can_read: ReadCheck) -> None:
    _registry[prefix] = can_read


def split_topic(topic: str) -> tuple[str, str] | None:
    """("idea", "42") for "idea.42"; the longest registered prefix wins."""
    if len(topic) > MAX_TOPIC_LENGTH or not TOPIC_RE.match(topic):
        return None
    if topic in _registry:
        return topic, ""
    prefix, _, key = topic.rpartition(".")
    while prefix:
        if prefix in _registry:
            return prefix, key
        prefix, _, rest = prefix.rpartition(".")
        key = f"{rest}.{key}"
    return None


def can_read(user: Any, topic: str) -> bool:
    parts = split_topic(topic)
    if parts is None:
        return False
    prefix, key = parts
    return bool(_registry[prefix](user, key))


def is_registered(topic: str) -> bool:
    return split_topic(topic) is not None


def group_name(topic: str) -> str:
    """Channel-layer group for a topic ("live.idea.42"): ASCII, under 100 characters."""
    return f"live.{topic}"
