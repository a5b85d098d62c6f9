"""The kinds of things the site's search finds, registered by the apps that own them.

An app describes each searchable model once, in its `ready()`:

    register_kind(
        "idea", label=_("Ideas"), model=Idea,
        document=idea_document,          # obj -> Document | None (None: not findable)
        queryset=lambda: Idea.objects.select_related("campaign", "author"),
    )

Saving or deleting an instance keeps its entry current (signals connected here);
changes that bypass `save()` (moderation's bulk visibility updates) arrive through
the signal given as `reindex_on` (sent with `object_ids`), or call
`search.index.reindex(kind, ids)`. See docs/search.md.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal


@dataclass(frozen=True)
class SearchKind:
    name: str
    label: Any
    model: Any
    document: Callable[[Any], Any]
    queryset: Callable[[], Any]
    # Other kinds whose entries depend on this one (a thread's posts on the thread):
    # obj -> iterable of (kind, ids) to reindex after it changes.
    dependents: Callable[[Any], Iterable[tuple[str, list[int]]]] | None = None
    # The states a thing of this kind can be in, with their (translatable) labels:
    # the "state" facet shows them in the reader's language.
    states: dict[str, Any] | None = None


_kinds: dict[str, SearchKind] = {}


def register_kind(
    name: str,
    *,
    label: Any,
    model: Any,
    document: Callable[[Any], Any],
    queryset: Callable[[], Any],
    dependents: Callable[[Any], Iterable[tuple[str, list[int]]]] | None = None,
    states: dict[str, Any] | None = None,
    connect_signals: bool = True,
    reindex_on: Signal | None = None,
) -> SearchKind:
    """`reindex_on`: a signal whose sender is `model`, sent with `object_ids` when
    instances change without `save()`; their entries are brought up to date."""
    kind = SearchKind(name, label, model, document, queryset, dependents, states)
    _kinds[name] = kind
    if reindex_on is not None:

        def changed_in_bulk(sender: Any, object_ids: list[int], **kwargs: Any) -> None:
            from .index import reindex

            reindex(name, object_ids)

        reindex_on.connect(
            changed_in_bulk,
            sender=model,
            dispatch_uid=f"search-bulk-{name}",
            weak=False,
        )
    if connect_signals:
        post_save.connect(
            _saved, sender=model, dispatch_uid=f"search-save-{name}", weak=False
        )
        post_delete.connect(
            _deleted, sender=model, dispatch_uid=f"search-delete-{name}", weak=False
        )
    return kind


def kinds() -> list[SearchKind]:
    return list(_kinds.values())


def get_kind(name: str) -> SearchKind | None:
    return _kinds.get(name)


def state_label(state: str, fallback: str = "") -> str:
    for kind in _kinds.values():
        if kind.states and state in kind.states:
            return str(kind.states[state])
    return fallback or state


def kinds_for_model(model: Any) -> list[SearchKind]:
    return [k for k in _kinds.values() if issubclass(model, k.model)]


def _saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    from .index import index_object

    for kind in kinds_for_model(type(instance)):
        index_object(kind.name, instance)


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from .index import remove

    for kind in kinds_for_model(type(instance)):
        remove(kind.name, [instance.pk])
