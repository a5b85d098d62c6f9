"""`{% live_attrs "thread.7 idea.42" %}`: the body attributes of a live page.

It writes `data-live-topics` and `data-live-since` (the newest event id when the
page was rendered), so the client asks for everything after the page was made
and nothing published between rendering and connecting is lost.
"""

from django import template
from django.utils.html import format_html

from ..models import Event

register = template.Library()


def current_cursor() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


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
