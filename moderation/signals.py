"""Signals moderation sends, and how it notices content that waits for review.

`content_visibility_changed` lets the owning app keep its counters right when a
moderator publishes or hides content (sender = the content model).
"""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import Signal

# kwargs: object_ids (list[int]), visibility (the new state), decision (str)
content_visibility_changed = Signal()

_watched: set[str] = set()


def watch_model(model: Any) -> None:
    """Queue every saved instance of a registered model that waits for review."""
    key = model._meta.label_lower
    if key in _watched:
        return
    _watched.add(key)
    post_save.connect(
        _content_saved, sender=model, dispatch_uid=f"moderation-watch-{key}"
    )


def _content_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from .models import Visibility

    if kwargs.get("raw") or instance.visibility != Visibility.PENDING:
        return
    from .actions import enqueue_pending

    enqueue_pending(instance, created=created)
