"""Live updates. Actions emit with `live.publish_on_commit(topic, type, data)`."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Event


def publish_on_commit(
    topic: str, type: str, data: dict[str, Any], *, using: str = "default"
) -> "Event":
    # Imported here so that `import live` never loads models before apps are ready.
    from .publish import publish_on_commit as publish
    from .versions import bump_on_commit

    event = publish(topic, type, data, using=using)
    # Whatever an event reports changed what some page shows: cached pages made
    # before it must not be served after it commits (config/pagecache.py).
    bump_on_commit(using)
    return event
