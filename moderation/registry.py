"""The kinds of moderatable content, filled by the apps that own them.

    from moderation.registry import register_content
    register_content(Post, label=_("post"), url=lambda p: p.get_absolute_url(),
                     excerpt=lambda p: p.body[:200], context=lambda p: p.thread.title,
                     scope=lambda p: ("forum.3", "Town square"))

Moderation code asks this registry for labels, links, excerpts and the forum or
campaign content belongs to, and calls back into the owning app for what only it
can do (lock a thread, list an idea's supporters), so it never imports forums or
ideas.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

# An extra decision the owning app performs: fn(moderator, obj, reason) -> None.
ContentAction = Callable[[Any, Any, str], None]


@dataclass(frozen=True)
class ContentKind:
    model: type[models.Model]
    label: str
    url: Callable[[Any], str]
    excerpt: Callable[[Any], str]
    context: Callable[[Any], str]
    # ("forum.3", "Town square"): what the queue filters by; defaults to context.
    scope: Callable[[Any], tuple[str, str]] | None = None
    # Residents who back this content (an idea's supporters), for duplicates.
    supporters: Callable[[Any], Iterable[Any]] | None = None
    actions: dict[str, tuple[str, ContentAction]] = field(default_factory=dict)

    def scope_of(self, obj: Any) -> tuple[str, str]:
        if self.scope is not None:
            key, label = self.scope(obj)
            return str(key), str(label)
        context = str(self.context(obj))
        return "", context


_kinds: dict[str, ContentKind] = {}
# Lists of overdue work from the apps that know deadlines (ideas past their answer
# deadline): fn() -> [{"label": ..., "url": ..., "due": datetime}].
_overdue: dict[str, Callable[[], list[dict[str, Any]]]] = {}


def register_content(
    model: type[models.Model],
    *,
    label: str,
    url: Callable[[Any], str],
    excerpt: Callable[[Any], str],
    context: Callable[[Any], str] = lambda obj: "",
    scope: Callable[[Any], tuple[str, str]] | None = None,
    supporters: Callable[[Any], Iterable[Any]] | None = None,
) -> None:
    key = model._meta.label_lower
    # Keep actions registered earlier (register_content_action may run first).
    actions = _kinds[key].actions if key in _kinds else {}
    _kinds[key] = ContentKind(
        model, label, url, excerpt, context, scope, supporters, actions
    )
    from .signals import watch_model

    watch_model(model)


def register_content_action(
    model: type[models.Model], name: str, label: str, fn: ContentAction
) -> None:
    """Offer moderators a decision only the owning app can carry out ("lock")."""
    kind = _kinds[model._meta.label_lower]
    kind.actions[name] = (label, fn)


def register_overdue(name: str, fn: Callable[[], list[dict[str, Any]]]) -> None:
    _overdue[name] = fn


def overdue() -> dict[str, Callable[[], list[dict[str, Any]]]]:
    return dict(_overdue)


def kind_for(obj_or_model: Any) -> ContentKind | None:
    return _kinds.get(obj_or_model._meta.label_lower)


def kinds() -> dict[str, ContentKind]:
    return dict(_kinds)
