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

from live import versions


def _version_key(user_pk: int) -> str:
    return f"inbox:v:{user_pk}"


def counts_kept() -> bool:
    """Whether counts are kept: a cache shared by every process, and pages
    cached at all (`AGORA_PAGE_CACHE_SECONDS` > 0)."""
    shared = not isinstance(caches["default"], LocMemCache)
    return shared and versions.page_seconds() > 0


def unread_count(user: Any) -> int:
    from .models import Notification

    def count() -> int:
        return Notification.objects.unread().filter(recipient=user).count()

    if not counts_kept():
        return count()
    version_key, count_key = _version_key(user.pk), f"inbox:unread:{user.pk}"
    found = cache.get_many([version_key, count_key])
    version = found.get(version_key) or versions.start(version_key)
    kept = found.get(count_key)
    if kept is not None and kept[0] == version:
        return int(kept[1])
    unread = count()
    cache.set(count_key, (version, unread), versions.page_seconds())
    return unread


def changed_on_commit(user_pk: int) -> None:
    """The person's inbox changed: its version moves now and again on commit,
    as the pages' does (live.versions.bump_on_commit)."""
    versions.bump_on_commit(key=_version_key(user_pk))
