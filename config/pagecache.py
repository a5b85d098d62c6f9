"""Whole pages for anonymous visitors, cached under the version every change moves.

An anonymous GET that carries no cookie that could change the page (no session,
no messages: only the CSRF and language cookies are allowed, and the language is
part of the key) is answered from the cache when a copy was made under the
current `live.versions` number. The middleware sits before sessions,
authentication and the rest of the chain, so a hit costs two cache reads in one
round trip and no database query.

A response is stored only when nothing in it can belong to one visitor: status
200, HTML, no cookie set, no CSRF token put in the page, no message waiting, an
anonymous user, the language that was looked up, and no `Vary` beyond language
and cookies. The key is scheme, host, language and the full path with its query.

A copy lives at most `AGORA_PAGE_CACHE_SECONDS` (default 60): relative times
such as "5 minutes ago" stay roughly true, and a phase, poll or budget vote that
opens or closes by the clock alone (no edit, no event) shows within that time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation

from live import versions

# Paths whose answers depend on who asks or are not pages at all.
NEVER_CACHED = (
    "/admin/",
    "/django-admin/",
    "/api/",
    "/accounts/",
    "/ws/",
    "/i18n/",
    "/jsi18n/",
    "/healthz",
    "/static/",
    "/media/",
    "/moderation/",
    "/insights/",
    "/notifications/",
)
HARMLESS_VARY = {"accept-language", "cookie", "accept-encoding"}
HIT_HEADER = "X-Agora-Page-Cache"


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.allowed_cookies = {
            settings.CSRF_COOKIE_NAME,
            settings.LANGUAGE_COOKIE_NAME,
        }

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = self.key_for(request)
        if key is None:
            return self.get_response(request)
        found = cache.get_many([versions.KEY, key])
        version = found.get(versions.KEY)
        if version is None:
            version = versions.start()
        entry = found.get(key)
        if entry is not None and entry[0] == version:
            return self.hit(entry)
        response = self.get_response(request)
        if self.storable(request, response, key):
            ttl = self.ttl()
            if ttl > 0:
                assert isinstance(response, HttpResponse)  # noqa: S101 (storable)
                cache.set(
                    key,
                    (
                        version,
                        response.status_code,
                        list(response.headers.items()),
                        response.content,
                    ),
                    ttl,
                )
        return response

    # -- looking up ------------------------------------------------------------

    def key_for(self, request: HttpRequest) -> str | None:
        if request.method != "GET" or versions.page_seconds() <= 0:
            return None
        path = request.path_info
        if path.startswith(NEVER_CACHED):
            return None
        if not set(request.COOKIES) <= self.allowed_cookies:
            return None
        if "Authorization" in request.headers:
            return None
        try:
            host = request.get_host()
        except DisallowedHost:
            return None
        language = translation.get_language_from_request(request)
        request._page_cache_language = language  # type: ignore[attr-defined]
        full = request.get_full_path()
        digest = hashlib.sha256(f"{request.scheme}://{host}{full}".encode()).hexdigest()
        return f"page:{language}:{digest}"

    @staticmethod
    def hit(entry: tuple[int, int, list[tuple[str, str]], bytes]) -> HttpResponse:
        _version, status, headers, content = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response.headers[name] = value
        response.headers[HIT_HEADER] = "hit"
        return response

    # -- storing ---------------------------------------------------------------

    def storable(
        self, request: HttpRequest, response: HttpResponseBase, key: str
    ) -> bool:
        if not isinstance(response, HttpResponse) or response.streaming:
            return False
        if response.status_code != 200 or response.cookies:
            return False
        if not response.get("Content-Type", "").startswith("text/html"):
            return False
        # get_token() was called: the page holds a CSRF token of this visitor.
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return False
        user = getattr(request, "user", None)
        if user is None or user.is_authenticated:
            return False
        session = getattr(request, "session", None)
        if session is not None and session.modified:
            return False
        messages = getattr(request, "_messages", None)
        if messages is not None and (
            getattr(messages, "_queued_messages", None)
            or getattr(messages, "used", False)
        ):
            return False
        if getattr(request, "LANGUAGE_CODE", None) != getattr(
            request, "_page_cache_language", None
        ):
            return False
        vary = {
            v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()
        }
        if not vary <= HARMLESS_VARY:
            return False
        cache_control = response.get("Cache-Control", "").lower()
        return not any(
            word in cache_control for word in ("private", "no-store", "no-cache")
        )

    def ttl(self) -> int:
        return versions.page_seconds()


def watch_changes_without_events() -> None:
    """Changes that publish no live event but change pages: Wagtail pages
    (publishing, unpublishing, moving, deleting, privacy) and site settings."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
    from wagtail.models import Page, PageViewRestriction, Site

    watched = (Page, PageViewRestriction, Site, BaseGenericSetting, BaseSiteSetting)

    def moved(sender: type, **kwargs: Any) -> None:
        if isinstance(sender, type) and issubclass(sender, watched):
            versions.bump_on_commit()

    post_save.connect(moved, weak=False, dispatch_uid="pagecache-save")
    post_delete.connect(moved, weak=False, dispatch_uid="pagecache-delete")
