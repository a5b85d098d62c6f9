"""Extractive cluster summaries and cluster figures for planners.

Summary lines are residents' own ideas, picked near the centroid yet diverse by
maximal marginal relevance (MMR); every member is attached to exactly one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .language import _key, split_sentences
from .types import ClusterStats, Document, SummaryLine
from .vectorise import normalise_text

__all__ = [
    "cluster_stats",
    "mmr_select",
    "shorten",
    "summarise_cluster",
    "summary_text",
]

# Representatives closer than this to an already chosen one add nothing new.
NEAR_IDENTICAL = 0.98


def shorten(text: str, max_chars: int = 200) -> str:
    """First line of a text, cut at a word boundary to ``max_chars``."""
    text = (text or "").strip()
    first = text.split("\n", 1)[0].strip() or text
    if len(first) <= max_chars:
        return first
    cut = first[:max_chars]
    space = cut.rfind(" ")
    # Scripts without spaces (Chinese, Japanese) are cut at the character.
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def mmr_select(
    vectors: np.ndarray,
    centroid: np.ndarray,
    n: int,
    diversity: float = 0.3,
    max_candidates: int = 300,
) -> list[int]:
    """Indices of up to ``n`` rows near ``centroid`` and unlike each other.

    MMR score = (1 - diversity) * sim(row, centroid)
                - diversity * max sim(row, already chosen).
    Only the ``max_candidates`` rows closest to the centroid compete, which
    keeps huge clusters cheap; near-identical picks are skipped.
    """
    m = len(vectors)
    if m == 0 or n <= 0:
        return []
    relevance = vectors @ centroid
    cand = np.argsort(-relevance, kind="stable")[:max_candidates]
    cand_vecs = vectors[cand]
    chosen: list[int] = []
    max_sim = np.full(len(cand), -np.inf)
    available = np.ones(len(cand), dtype=bool)
    while len(chosen) < n and available.any():
        redundancy = np.where(np.isfinite(max_sim), max_sim, 0.0)
        score = (1 - diversity) * relevance[cand] - diversity * redundancy
        score[~available] = -np.inf
        best = int(np.argmax(score))
        chosen.append(int(cand[best]))
        available[best] = False
        sims = cand_vecs @ cand_vecs[best]
        max_sim = np.maximum(max_sim, sims)
        # Texts that repeat a chosen one cannot become another line, but an
        # all-zero (empty) chosen vector must not block everything.
        if np.linalg.norm(cand_vecs[best]) > 0:
            available &= sims < NEAR_IDENTICAL
    return chosen


def _words(text: str) -> set[str]:
    return {w for w in normalise_text(text).split() if len(w) > 2}


def _repeats(sentence: str, title: str) -> bool:
    """True when a sentence says the title again (contains or is mostly it)."""
    s, t = _key(sentence), _key(title)
    if not s or not t or s in t or t in s:
        return True
    a, b = _words(sentence), _words(title)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.8


def summary_text(
    doc: Document,
    keywords: Sequence[str] = (),
    boilerplate: frozenset[str] = frozenset(),
    max_chars: int = 200,
) -> str:
    """The title once, then the body's best sentence.

    Without a separate title the first sentence stands for it. The best
    sentence holds the most of the cluster's keywords (the earliest on ties),
    and never repeats the title or a boilerplate sentence.
    """
    text = (doc.text or "").strip()
    title = (doc.title or "").strip()
    sentences = split_sentences(text)
    if not title:
        title = sentences[0] if sentences else text
        sentences = sentences[1:]
    title = title.rstrip(" .")
    body = [
        s
        for s in sentences
        if not _repeats(s, title) and _key(s) not in boilerplate and len(s) > 3
    ]
    if not body:
        return shorten(title, max_chars)
    lowered = [normalise_text(k) for k in keywords]
    best = max(
        range(len(body)),
        key=lambda i: (sum(k in normalise_text(body[i]) for k in lowered), -i),
    )
    head = shorten(title, max_chars // 2)
    room = max_chars - len(head) - 3
    return f"{head} — {shorten(body[best], max(room, 40))}"


def summarise_cluster(
    docs: Sequence[Document],
    vectors: np.ndarray,
    centroid: np.ndarray,
    n_lines: int = 3,
    max_chars: int = 200,
    keywords: Sequence[str] = (),
    boilerplate: frozenset[str] = frozenset(),
) -> tuple[SummaryLine, ...]:
    """Summary lines for one cluster; each lists the ideas it stands for.

    Each member joins the line of its most similar representative; within a
    line ids are ordered representative first, then by similarity. Lines keep
    the MMR order, so the first line is the idea closest to the cluster centre.
    """
    if not docs:
        return ()
    reps = mmr_select(vectors, centroid, n_lines)
    owner = np.argmax(vectors @ vectors[reps].T, axis=1)
    owner[reps] = np.arange(len(reps))  # a representative owns itself
    lines: list[SummaryLine] = []
    for j, rep in enumerate(reps):
        members = np.flatnonzero(owner == j)
        sims = vectors[members] @ vectors[rep]
        order = [int(members[i]) for i in np.argsort(-sims, kind="stable")]
        order.remove(rep)
        ids = (docs[rep].id, *(docs[i].id for i in order))
        text = summary_text(docs[rep], keywords, boilerplate, max_chars)
        lines.append(SummaryLine(text=text, idea_ids=ids))
    return tuple(lines)


def _iso_week(doc: Document) -> str | None:
    if doc.created is None:
        return None
    year, week, _ = doc.created.isocalendar()
    return f"{year}-W{week:02d}"


def cluster_stats(
    docs: Sequence[Document], min_authors: int = 3, max_top_share: float = 0.5
) -> ClusterStats:
    """Size, authors, supports, states, ISO weeks and places of a cluster.

    ``few_voices`` warns that the cluster may reflect few residents: fewer than
    ``min_authors`` distinct known authors, or one author behind more than
    ``max_top_share`` of its ideas. Ideas without an author are not counted as
    authors; if no author is known at all the flag stays off.
    """
    authors = Counter(d.author_id for d in docs if d.author_id is not None)
    known = sum(authors.values())
    top_share = authors.most_common(1)[0][1] / known if known else 0.0
    reason: str | None = None
    if known and len(authors) < min_authors:
        reason = f"only {len(authors)} distinct author(s)"
    elif known and top_share > max_top_share:
        reason = f"one author wrote {top_share:.0%} of the ideas"
    states = Counter(d.state for d in docs if d.state is not None)
    weeks = Counter(w for w in (_iso_week(d) for d in docs) if w is not None)
    located = [(d.lat, d.lon) for d in docs if d.lat is not None and d.lon is not None]
    bbox: tuple[float, float, float, float] | None = None
    centroid: tuple[float, float] | None = None
    if located:
        lats = [float(p[0]) for p in located]
        lons = [float(p[1]) for p in located]
        bbox = (min(lats), min(lons), max(lats), max(lons))
        centroid = (float(np.mean(lats)), float(np.mean(lons)))
    return ClusterStats(
        size=len(docs),
        distinct_authors=len(authors),
        top_author_share=float(top_share),
        total_supports=int(sum(d.supports for d in docs)),
        states=dict(sorted(states.items())),
        weeks=dict(sorted(weeks.items())),
        bbox=bbox,
        centroid=centroid,
        located=len(located),
        few_voices=reason is not None,
        few_voices_reason=reason,
    )
