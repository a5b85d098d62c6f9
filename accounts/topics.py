"""The live topic `user.<id>`: a person's own notifications, readable by that person only."""

from typing import Any


def user_topic(user_id: int) -> str:
    return f"user.{user_id}"


def can_read_user_topic(user: Any, key: str) -> bool:
    return bool(user is not None and user.is_authenticated and str(user.pk) == key)
