"""Writing the index: what an app's document says becomes one `SearchEntry` row.

Every function here is safe inside the caller's transaction: the entry changes
with the content or not at all.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from .models import SearchEntry
from .registry import SearchKind, get_kind, kinds

BODY_MAX_CHARS = 20_000
REBUILD_CHUNK = 500


@dataclass
class Document:
    """What the search knows of one thing. Return None from `document()` instead
    of a Document when the thing must not be found (hidden, pending, deleted)."""

    title: str
    url: str
    body: str = ""
    place_id: int | None = None
    state: str = ""
    state_label: str = ""
    author_name: str = ""
    author_id: int | None = None
    created_at: datetime | None = None


def page_document(page: Any, body: str) -> Document | None:
    """A Wagtail page's entry (a campaign, a budget): found while it is live, with
    the page itself as its place."""
    if not page.live:
        return None
    return Document(
        title=page.title,
        body=body,
        url=page.url or "",
        place_id=page.pk,
        created_at=page.first_published_at,
    )


def _entry_fields(doc: Document) -> dict[str, Any]:
    return {
        "title": str(doc.title)[:300],
        "body": str(doc.body or "")[:BODY_MAX_CHARS],
        "url": doc.url[:500],
        "place_id": doc.place_id,
        "state": doc.state or "",
        "state_label": str(doc.state_label or "")[:100],
        "author_name": str(doc.author_name or "")[:150],
        "author_id": doc.author_id,
        "created_at": doc.created_at,
        "language": settings.AGORA_SEARCH_LANGUAGE,
    }


def _kind(name: str) -> SearchKind:
    kind = get_kind(name)
    if kind is None:
        raise LookupError(f"No searchable kind {name!r} is registered")
    return kind


def index_object(kind_name: str, obj: Any) -> None:
    """Bring one thing's entry up to date (create, replace or remove it)."""
    kind = _kind(kind_name)
    doc = kind.document(obj)
    if doc is None:
        SearchEntry.objects.filter(kind=kind_name, object_id=obj.pk).delete()
    else:
        SearchEntry.objects.update_or_create(
            kind=kind_name, object_id=obj.pk, defaults=_entry_fields(doc)
        )
    if kind.dependents is not None:
        for dependent, ids in kind.dependents(obj):
            reindex(dependent, ids)


def reindex(kind_name: str, ids: Iterable[int]) -> None:
    """Bring the entries of these things up to date, e.g. after a bulk update."""
    kind = _kind(kind_name)
    ids = list(ids)
    if not ids:
        return
    found = kind.queryset().filter(pk__in=ids)
    seen: set[int] = set()
    for obj in found:
        seen.add(obj.pk)
        index_object(kind_name, obj)
    remove(kind_name, [pk for pk in ids if pk not in seen])


def remove(kind_name: str, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        SearchEntry.objects.filter(kind=kind_name, object_id__in=ids).delete()


def rebuild(kind_names: Iterable[str] | None = None) -> dict[str, int]:
    """Index every registered thing again from scratch; returns entries per kind."""
    chosen = [k for k in kinds() if kind_names is None or k.name in set(kind_names)]
    counts: dict[str, int] = {}
    for kind in chosen:
        SearchEntry.objects.filter(kind=kind.name).delete()
        batch: list[SearchEntry] = []
        count = 0
        for obj in kind.queryset().order_by("pk").iterator(chunk_size=REBUILD_CHUNK):
            doc = kind.document(obj)
            if doc is None:
                continue
            batch.append(
                SearchEntry(kind=kind.name, object_id=obj.pk, **_entry_fields(doc))
            )
            if len(batch) >= REBUILD_CHUNK:
                SearchEntry.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        SearchEntry.objects.bulk_create(batch)
        counts[kind.name] = count + len(batch)
    return counts
