"""A resident's count of unread notifications, for the header's badge on every
page, read from the cache instead of counting the inbox on each page view.

The count is kept under a per-person inbox version that `changed_on_commit`
moves whenever a notification is added or marked read (accounts.actions), so a
count made before a change is never served after it, for at most
`AGORA_PAGE_CACHE_SECONDS`. Only where every process shares the cache (Redis):
in embedded mode each process has its own memory, and most notifications are
written by the task worker, whose move the web process would never see, so
there the badge is counted on each page (one indexed query on a local file).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from live import versions


def _keys(user_pk: int) -> tuple[str, str]:
    return f"inbox:v:{user_pk}", f"inbox:unread:{user_pk}"


def counts_kept() -> bool:
    """Whether counts are kept: a cache shared by every process, and pages
    cached at all (`AGORA_PAGE_CACHE_SECONDS` > 0)."""
    shared = not isinstance(caches["default"], LocMemCache)
    return shared and versions.page_seconds() > 0


def unread_count(user: Any) -> int:
    from .models import Notification

    seconds = versions.page_seconds()
    if not counts_kept():
        return Notification.objects.unread().filter(recipient=user).count()
    version_key, count_key = _keys(user.pk)
    found = cache.get_many([version_key, count_key])
    version = found.get(version_key, 0)
    kept = found.get(count_key)
    if kept is not None and kept[0] == version:
        return int(kept[1])
    count = Notification.objects.unread().filter(recipient=user).count()
    cache.set(count_key, (version, count), seconds)
    return count


def _move(user_pk: int) -> None:
    version_key, _count_key = _keys(user_pk)
    try:
        cache.incr(version_key)
    except ValueError:  # no version yet, or it expired
        cache.set(version_key, 1, versions.LIFETIME_SECONDS)


def changed_on_commit(user_pk: int) -> None:
    """The person's inbox changed: move its version now and again on commit
    (a count made by a page while the change's transaction was open saw the old
    inbox; the second move retires it), as live.versions.bump_on_commit does."""
    _move(user_pk)
    transaction.on_commit(lambda: _move(user_pk))
