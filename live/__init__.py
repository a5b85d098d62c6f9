"""Live updates. Actions emit with `live.publish_on_commit(topic, type, data)`."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Event


def publish_on_commit(
    topic: str, type: str, data: dict[str, Any], *, using: str = "default"
) -> "Event":
    # Imported here so that `import live` never loads models before apps are ready.
    from .publish import publish_on_commit as publish

    # The page version (live/versions.py) moves here and again when the event is
    # sent after the commit, in the same callback.
    return publish(topic, type, data, using=using)
