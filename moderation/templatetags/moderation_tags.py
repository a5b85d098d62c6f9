"""Template helpers for content pages: the flag link's target, appeals, duplicate marks."""

from typing import Any

from django import template
from django.contrib.contenttypes.models import ContentType

from ..models import Visibility

register = template.Library()


@register.simple_tag
def content_type_id(obj: Any) -> int:
    """The content type id for `obj` (cached by Django: no query after the first)."""
    return ContentType.objects.get_for_model(type(obj)).pk


@register.simple_tag
def duplicate_mark(obj: Any) -> Any:
    from ..actions import duplicate_of

    return duplicate_of(obj)


@register.filter
def is_hidden(obj: Any) -> bool:
    return getattr(obj, "visibility", "") == Visibility.HIDDEN
