"""`{% live_attrs "thread.7 idea.42" %}`: the body attributes of a live page.

It writes `data-live-topics` and `data-live-since` (the newest event id when the
page was rendered), so the client asks for everything after the page was made
and nothing published between rendering and connecting is lost.
"""

from django import template
from django.utils.html import format_html

from .. import versions
from ..models import Event

register = template.Library()


def current_cursor() -> int:
    """The newest event id, read once per version of the pages and kept.

    Every event moves the version when its transaction commits, so a cursor
    kept under a version is never newer than what a page rendered under it
    shows; it may be older (an event committed while the page was rendered),
    and then the client is sent that event again, which live.js applies once
    (an element already on the page is not added twice; counts are absolute).
    Kept as long as a cached page (`AGORA_PAGE_CACHE_SECONDS`): in embedded
    mode an event written by another process (the task worker) moves only that
    process's version. A signed-in page no longer queries the event log for it."""
    return int(
        versions.kept(
            "live:cursor",
            lambda: (
                Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
            ),
        )
    )


@register.simple_tag
def live_attrs(*topics: str) -> str:
    """Each argument is a topic or several separated by spaces."""
    return format_html(
        ' data-live-topics="{}" data-live-since="{}"',
        " ".join(str(t) for t in topics if t),
        current_cursor(),
    )


@register.simple_tag
def live_cursor() -> int:
    return current_cursor()
