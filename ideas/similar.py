"""'Has someone proposed this already?': a similarity index per campaign, kept warm.

The index (insights.pipeline.SimilarityIndex) is built from a campaign's public
ideas and held in this process's memory under the campaign's *version*, a number
in the shared cache that every change of an idea's text or visibility bumps. A
lookup with a stale index answers at once from it and asks a background task to
rebuild; only a process that never had one builds it while the visitor waits.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction

if TYPE_CHECKING:
    # Loaded on first use (the propose form's "similar ideas"), not when a web
    # process imports the URLconf: scikit-learn costs about 1 s of start-up.
    from insights.pipeline import SimilarityIndex

logger = logging.getLogger(__name__)

MIN_SCORE = 0.35
_indexes: dict[int, tuple[int, SimilarityIndex]] = {}
_lock = threading.Lock()


def _version_key(campaign_id: int) -> str:
    return f"ideas:similar:version:{campaign_id}"


def current_version(campaign_id: int) -> int:
    version = cache.get(_version_key(campaign_id))
    if version is None:
        # A fresh random start, not 1: after the cache is emptied (a Redis restart)
        # a counter would start again at a number an index held in memory already
        # carries, and that stale index would be served as current.
        cache.add(_version_key(campaign_id), secrets.randbits(48), timeout=None)
        version = cache.get(_version_key(campaign_id), 0)
    return int(version)


def mark_changed(campaign_id: int) -> None:
    """Call inside the action's transaction: the version moves once it commits."""

    def bump() -> None:
        try:
            cache.incr(_version_key(campaign_id))
        except ValueError:
            cache.add(_version_key(campaign_id), secrets.randbits(48), timeout=None)

    transaction.on_commit(bump)


def build_index(campaign_id: int) -> SimilarityIndex:
    from .models import Idea

    rows = (
        Idea.objects.public()
        .filter(campaign_id=campaign_id)
        .order_by("pk")
        .values_list("pk", "title", "description")
    )
    docs = [
        (str(pk), f"{title}. {title}. {description}") for pk, title, description in rows
    ]
    from insights.pipeline import SimilarityIndex

    return SimilarityIndex.build(docs)


def refresh(campaign_id: int) -> SimilarityIndex:
    """Build the index for the campaign's current version and keep it in memory."""
    version = current_version(campaign_id)
    index = build_index(campaign_id)
    with _lock:
        _indexes[campaign_id] = (version, index)
    return index


def get_index(campaign_id: int) -> SimilarityIndex:
    version = current_version(campaign_id)
    held = _indexes.get(campaign_id)
    if held is not None and held[0] == version:
        return held[1]
    if held is not None:
        # Stale by a few ideas: answer now, rebuild in the background.
        from .tasks import rebuild_similarity_index

        rebuild_key = f"ideas:similar:rebuilding:{campaign_id}:{version}"
        if cache.add(rebuild_key, 1, timeout=300):
            try:
                rebuild_similarity_index.enqueue(campaign_id)
            except Exception:
                logger.exception("could not enqueue the similar-ideas rebuild")
        return _indexes[campaign_id][1]
    return refresh(campaign_id)


def similar_idea_ids(
    campaign_id: int, text: str, *, k: int = 5, exclude: list[int] | None = None
) -> list[tuple[int, float]]:
    text = (text or "").strip()
    if len(text) < 4:
        return []
    index = get_index(campaign_id)
    hits = index.query(
        text[:2000], k=k, min_score=MIN_SCORE, exclude=[str(i) for i in exclude or []]
    )
    return [(int(doc_id), score) for doc_id, score in hits]
