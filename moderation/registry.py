"""The kinds of moderatable content, filled by the apps that own them.

    from moderation.registry import register_content
    register_content(Post, label=_("post"), url=lambda p: p.get_absolute_url(),
                     excerpt=lambda p: p.body[:200], context=lambda p: p.thread.title)

Moderation code asks this registry for labels, links and excerpts, so it never
imports forums or ideas.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class ContentKind:
    model: type[models.Model]
    label: str
    url: Callable[[Any], str]
    excerpt: Callable[[Any], str]
    context: Callable[[Any], str]


_kinds: dict[str, ContentKind] = {}


def register_content(
    model: type[models.Model],
    *,
    label: str,
    url: Callable[[Any], str],
    excerpt: Callable[[Any], str],
    context: Callable[[Any], str] = lambda obj: "",
) -> None:
    _kinds[model._meta.label_lower] = ContentKind(model, label, url, excerpt, context)


def kind_for(obj_or_model: Any) -> ContentKind | None:
    return _kinds.get(obj_or_model._meta.label_lower)


def kinds() -> dict[str, ContentKind]:
    return dict(_kinds)
