"""What polls plugs into lower floors: the live topic `poll.<id>` and the poll's
discussion thread (forums.hosts)."""

from typing import Any

from django.utils.translation import gettext as _

POLL_HOST = "poll"


def _poll(poll_id: int) -> Any:
    from .models import PollPage

    return PollPage.objects.live().public().filter(pk=poll_id).first()


def can_read_poll_topic(user: Any, key: str) -> bool:
    # The topic carries counts only where the poll shows results live (actions).
    return key.isdigit() and _poll(int(key)) is not None


def can_read_thread(user: Any, host_id: int) -> bool:
    return _poll(host_id) is not None


def can_post(user: Any, host_id: int) -> str | None:
    poll = _poll(host_id)
    if poll is None:
        return str(_("This discussion is not available."))
    if not getattr(user, "is_authenticated", False):
        return str(_("Log in to take part in the discussion."))
    return None


def register() -> None:
    from forums.hosts import register_thread_host
    from live.topics import register_topic

    register_topic("poll", can_read_poll_topic)
    register_thread_host(
        POLL_HOST,
        can_read=can_read_thread,
        can_post=can_post,
        url=lambda host_id: _poll(host_id).url if _poll(host_id) else "/",
        label=str(_("poll")),
    )
