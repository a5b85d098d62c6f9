"""The version of what pages show, moved by every committed change.

Anonymous pages are cached whole (config/pagecache.py) under this number: each
event published through `live.publish_on_commit` moves it once its transaction
commits, and so do the few changes that publish no event (Wagtail page edits and
settings, wired by `home`). A cached page made under an older number is never
served again. The number lives in the default cache, so with Redis every process
sees the same one; in embedded mode (one process, local memory) so does the
server's own process, and changes written by other processes (task worker,
commands) reach pages within the cache's lifetime.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

T = TypeVar("T")

KEY = "pages:version"
# A version lives as long as anything cached under it could (config/pagecache.py).
LIFETIME_SECONDS = 24 * 3600


def page_seconds() -> int:
    """How long a page, or a part of one, kept under a version may be served:
    `AGORA_PAGE_CACHE_SECONDS` (default 60; 0 keeps nothing). Relative times
    ("5 minutes ago") and what opens or closes by the clock alone show within it."""
    return int(getattr(settings, "AGORA_PAGE_CACHE_SECONDS", 60))


def current(key: str = KEY) -> int:
    """The version of the pages, or of another thing kept under its own `key`
    (a person's inbox, accounts.inbox)."""
    version = cache.get(key)
    if version is None:
        return start(key)
    return int(version)


def start(key: str = KEY) -> int:
    """A fresh random start after a cache reset, so pages cached by a process that
    still remembers an old number are not taken for current ones."""
    version = secrets.randbelow(2**40) + 1
    if cache.add(key, version, LIFETIME_SECONDS):
        return version
    return int(cache.get(key) or version)


def bump(key: str = KEY) -> int:
    try:
        return int(cache.incr(key))
    except ValueError:  # the key expired or the cache was reset
        return start(key)


def bump_on_commit(using: str = "default", key: str = KEY) -> None:
    """Move the version now and again once the current transaction commits.

    Now: the writer's own connection already sees the change (and a test's
    transaction never commits). On commit: a page rendered by another request
    while the transaction was open saw the old data but may have been stored
    under the number moved "now"; the second move retires it."""
    bump(key)
    if connections[using].in_atomic_block:
        transaction.on_commit(lambda: bump(key), using=using)


def kept(name: str, compute: Callable[[], T]) -> T:
    """`compute()` once per version of the pages: kept in the cache under `name`
    and the current version for at most `page_seconds()` (0: computed each time).
    For what every reader sees alike; `compute` must not return None."""
    key = f"{name}:{current()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, page_seconds())
    return value
