"""Wagtail's page routing, remembered under the version every change moves.

Wagtail routes each request to a page from scratch: the site for the host, then
the root page, one query per path segment and the specific page, six to eight
queries before a page's own work starts. For signed-in residents, whom the whole
page cache (config/pagecache.py) cannot serve, that was a third of a campaign
page's time.

`PageRouteCacheMiddleware.process_view` answers the route of Wagtail's `serve`
view from the cache when it was found under the current `live.versions` number
(the number every page save, move, unpublish, privacy change and live event
moves), and otherwise routes as Wagtail does and remembers the result. What is
remembered is the same for everyone: the site and the page object for a path.
The page's view restrictions (its own and its ancestors': rows that only a page
or privacy edit changes, and those move the version) are remembered with it.
Everything that depends on who asks still runs on every request: Wagtail's
`before_serve_page` hooks (each restriction's `accept_request`: password, groups,
log-in) and the page's own `serve`. Routes with arguments (sub-routes) are not
remembered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin
from wagtail import views as wagtail_views
from wagtail.models import Page

from live import versions


class PageRouteCacheMiddleware(MiddlewareMixin):
    @staticmethod
    def key_for(request: HttpRequest, path: str) -> str:
        # The host and port as Wagtail reads them to find the site (no
        # ALLOWED_HOSTS check: the common middleware has made that already).
        where = f"{request._get_raw_host()}|{request.get_port()}|{path}"
        digest = hashlib.sha256(where.encode()).hexdigest()[:32]
        return f"route:v2:{versions.current()}:{digest}"

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        if view_func is not wagtail_views.serve or versions.page_seconds() <= 0:
            return
        # Wagtail's pattern passes the path as a positional group.
        path = view_kwargs.get("path", view_args[0] if view_args else "")
        key = self.key_for(request, path)
        entry = cache.get(key)
        if entry is not None:
            site, page, restrictions = entry
            remember_restrictions(page, restrictions)
            request._wagtail_site = site  # type: ignore[attr-defined]
            request._wagtail_route_for_request = (page, [], {})  # type: ignore[attr-defined]
            return
        route = Page.route_for_request(request, path)
        if route is None:
            return
        page, args, kwargs = route
        if not args and not kwargs:
            restrictions = list(page.get_view_restrictions())
            site = request._wagtail_site  # type: ignore[attr-defined]
            cache.set(key, (site, page, restrictions), versions.page_seconds())
            remember_restrictions(page, restrictions)  # after the copy: not pickled


def remember_restrictions(page: Page, restrictions: list[Any]) -> None:
    """This page object answers Wagtail's `get_view_restrictions` from the rows
    read with its route (each is still checked against the request)."""
    page.get_view_restrictions = lambda: restrictions  # type: ignore[method-assign]
