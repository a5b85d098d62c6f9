"""End-to-end analyses and the exact JSON shapes the management commands print.

``analyse_texts`` runs vectorise -> cluster -> label -> summarise -> duplicates;
``analyse_votes`` runs the Pol.is-style opinion groups. All ids in the JSON are
strings (idea, comment and participant ids; also as object keys); cluster and
group ids are integers numbered by decreasing size from 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import normalize

from .cluster import ClusterModel
from .duplicates import find_duplicates, lexical_verifier
from .embed import backend_name, load_encoder
from .label import OTHER_TOPICS, catch_all_clusters, cluster_keywords, make_label
from .language import boilerplate_sentences, strip_boilerplate
from .opinions import opinion_groups
from .polis import (
    read_comments,
    read_last_votes,
    read_participants_votes,
    votes_to_matrix,
)
from .spectral import combine, spectral_topics
from .summarise import cluster_stats, summarise_cluster
from .types import Cluster, Document, DuplicatePair, OpinionGroups, VoteMatrix
from .vectorise import LsaVectoriser, Vectoriser

AUTO = "auto"
# Up to this many ideas near-duplicates are searched among all pairs; above, in
# the micro-clusters of the topic split (see :mod:`.duplicates`).
EXACT_DUPLICATES_MAX = 20_000

__all__ = [
    "TextAnalysis",
    "analyse_polis_export",
    "analyse_texts",
    "analyse_texts_json",
    "analyse_votes",
    "analyse_votes_json",
    "opinion_groups_to_json",
]


@dataclass
class TextAnalysis:
    """Result of :func:`analyse_texts`; ``model`` assigns ideas added later."""

    clusters: tuple[Cluster, ...]
    assignments: dict[str, int]
    duplicates: tuple[DuplicatePair, ...]
    model: ClusterModel
    k_chosen_automatically: bool
    # Modularity of the topic split for each k tried (automatic k only).
    k_scores: dict[int, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    backend: str = ""  # which text representation ran, in words
    embedded_now: int = 0  # texts the encoder had to embed in this run

    def to_json(self, extended: bool = False) -> dict[str, Any]:
        """The ``analyse_texts`` CLI format; ``extended`` adds stats per cluster.

        ``{"clusters": [{"id", "label", "keywords", "size", "members",
        "summary": [{"text", "idea_ids"}]}], "assignments": {idea_id: cluster_id},
        "duplicates": [[id_a, id_b, score]]}``
        """
        clusters = []
        for c in self.clusters:
            item: dict[str, Any] = {
                "id": c.id,
                "label": c.label,
                "other": c.catch_all,
                "keywords": list(c.keywords),
                "size": c.size,
                "members": list(c.members),
                "summary": [
                    {"text": line.text, "idea_ids": list(line.idea_ids)}
                    for line in c.summary
                ],
            }
            if extended:
                s = c.stats
                item["coherence"] = round(c.coherence, 4)
                item["stats"] = {
                    "distinct_authors": s.distinct_authors,
                    "top_author_share": round(s.top_author_share, 4),
                    "total_supports": s.total_supports,
                    "states": s.states,
                    "weeks": s.weeks,
                    "bbox": list(s.bbox) if s.bbox else None,
                    "centroid": list(s.centroid) if s.centroid else None,
                    "located": s.located,
                    "few_voices": s.few_voices,
                    "few_voices_reason": s.few_voices_reason,
                }
            clusters.append(item)
        return {
            "clusters": clusters,
            "assignments": dict(self.assignments),
            "duplicates": [[d.id_a, d.id_b, d.score] for d in self.duplicates],
        }


def _as_documents(docs: Sequence[Document] | Sequence[str]) -> list[Document]:
    out = [
        d if isinstance(d, Document) else Document(id=str(i), text=str(d))
        for i, d in enumerate(docs)
    ]
    if len({d.id for d in out}) != len(out):
        raise ValueError("document ids must be unique")
    return out


def analyse_texts(
    docs: Sequence[Document] | Sequence[str],
    n_clusters: int | None = None,
    seed: int = 0,
    n_summary_lines: int = 3,
    n_keywords: int = 8,
    duplicate_threshold: float = 0.8,
    max_duplicate_pairs: int = 10_000,
    vectoriser: Vectoriser | None = None,
    progress: Callable[[str], None] | None = None,
    embeddings: np.ndarray | None = None,
    encoder: Vectoriser | str | None = AUTO,
) -> TextAnalysis:
    """Cluster, label, summarise and de-duplicate residents' ideas.

    ``docs`` are :class:`Document` (ids must be unique) or plain strings (ids
    become "0", "1", ...). ``n_clusters=None`` chooses k automatically.
    Same input and seed give the same output. Edge cases, without exceptions:
    no documents give no clusters; one document, identical texts or fewer than
    four distinct texts (automatic k) give a single cluster; empty texts are
    zero vectors that join a cluster but are never duplicates.
    ``progress``, if given, is called with each stage's name as it finishes
    ("vectorise", "cluster", "label", "summarise", "duplicates").

    Topics come from character LSA and sentence embeddings side by side (see
    :func:`spectral.combine`). ``embeddings`` are stored vectors, one row per
    document (an all-zero row means "not embedded yet"); rows missing are
    embedded by ``encoder`` ("auto": :func:`embed.load_encoder`; ``None``:
    character LSA only, also when no encoder is installed).
    """
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now
        if progress is not None:
            progress(stage)

    documents = _as_documents(docs)
    texts = [d.text or "" for d in documents]
    # Sentences repeated across many texts (a site's standard wording) would
    # become a topic and a label of their own: topics and labels read without.
    boilerplate = boilerplate_sentences(texts)
    clean = [strip_boilerplate(t, boilerplate) for t in texts]
    vec: Vectoriser = vectoriser or LsaVectoriser(seed=seed)
    verify = None
    if isinstance(vec, LsaVectoriser):
        vectors, features = vec.fit_transform_with_features(clean)
        verify = lexical_verifier(features)
    else:
        vectors = vec.fit_transform(clean)
    model_encoder = load_encoder() if encoder == AUTO else encoder
    if isinstance(model_encoder, str):
        raise ValueError(f"encoder must be a Vectoriser, None or {AUTO!r}")
    emb, embedded_now = _embeddings(texts, embeddings, model_encoder)
    if emb is None:
        backend = backend_name() if encoder == AUTO else "character LSA only"
    else:
        name = getattr(model_encoder, "name", None) or "stored embeddings"
        backend = f"{name} + character LSA"
    topic_vectors = combine(vectors, emb)
    lap("vectorise")
    split = spectral_topics(topic_vectors, n_clusters, seed=seed)
    labels = _by_size(split.labels)
    n_topics = int(labels.max()) + 1 if len(labels) else 0
    centroids = _centroids(vectors, labels, n_topics)
    topic_centroids = _centroids(topic_vectors, labels, n_topics)
    lap("cluster")
    keywords = cluster_keywords(clean, labels, n_keywords=n_keywords, seed=seed)
    coherence = [
        float((topic_vectors[labels == c] @ topic_centroids[c]).mean())
        for c in range(n_topics)
    ]
    loose = catch_all_clusters(coherence, np.bincount(labels, minlength=n_topics))
    lap("label")
    clusters = []
    label_texts = []
    for c in range(n_topics):
        idx = np.flatnonzero(labels == c)
        members = [documents[i] for i in idx]
        summary = summarise_cluster(
            members,
            topic_vectors[idx],
            topic_centroids[c],
            n_summary_lines,
            keywords=keywords[c],
            boilerplate=boilerplate,
        )
        central = summary[0].text if summary else ""
        label = OTHER_TOPICS if c in loose else make_label(keywords[c], central)
        label_texts.append(label)
        clusters.append(
            Cluster(
                id=c,
                label=label,
                keywords=tuple(keywords[c]),
                members=tuple(d.id for d in members),
                summary=summary,
                stats=cluster_stats(members),
                coherence=coherence[c],
                catch_all=c in loose,
            )
        )
    lap("summarise")
    duplicates = find_duplicates(
        vectors,
        [d.id for d in documents],
        threshold=duplicate_threshold,
        verify=verify,
        max_pairs=max_duplicate_pairs,
        # Large sets: compare within neighbouring micro-clusters, not all pairs.
        blocks=split.micro_labels if len(documents) > EXACT_DUPLICATES_MAX else None,
    )
    lap("duplicates")
    model = ClusterModel.from_fit(vec, vectors, labels, centroids, label_texts)
    return TextAnalysis(
        clusters=tuple(clusters),
        assignments={d.id: int(labels[i]) for i, d in enumerate(documents)},
        duplicates=tuple(duplicates),
        model=model,
        k_chosen_automatically=n_clusters is None,
        k_scores=split.modularity,
        timings=timings,
        backend=backend,
        embedded_now=embedded_now,
    )


def _embeddings(
    texts: list[str], stored: np.ndarray | None, encoder: Vectoriser | None
) -> tuple[np.ndarray | None, int]:
    """Stored rows completed by the encoder; None when neither is there."""
    if stored is None:
        if encoder is None:
            return None, 0
        return encoder.transform(texts), len(texts)
    out = np.asarray(stored, dtype=np.float32).copy()
    if out.shape[0] != len(texts):
        raise ValueError("embeddings must have one row per document")
    missing = [i for i in np.flatnonzero(~out.any(axis=1)) if texts[i].strip()]
    if missing and encoder is not None:
        out[missing] = encoder.transform([texts[i] for i in missing])
    return out, len(missing) if encoder is not None else 0


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber so 0 is the biggest topic (ties: first member), for stable ids."""
    if not len(labels):
        return labels.astype(np.int64)
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    remap = np.empty(int(ids.max()) + 1, dtype=np.int64)
    remap[ids[order]] = np.arange(len(order))
    return remap[labels]


def _centroids(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    if k == 0:
        return np.zeros((0, vectors.shape[1]), np.float32)
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vectors)
    return normalize(sums).astype(np.float32)


def analyse_texts_json(
    docs: Sequence[Document] | Sequence[str], **kwargs: Any
) -> dict[str, Any]:
    """``analyse_texts(docs, **kwargs).to_json()``: the CLI output."""
    return analyse_texts(docs, **kwargs).to_json()


def analyse_votes(
    matrix: VoteMatrix,
    seed: int = 0,
    exclude_comments: Collection[str] = (),
    min_votes: int = 7,
    previous: Mapping[str, int] | None = None,
) -> OpinionGroups:
    """Opinion groups of a vote matrix (see :func:`opinions.opinion_groups`);
    ``previous`` is the previous run's ``participants`` map, to start from."""
    return opinion_groups(
        matrix,
        seed=seed,
        min_votes=min_votes,
        exclude_comments=exclude_comments,
        previous=previous,
    )


def opinion_groups_to_json(
    result: OpinionGroups, extended: bool = False
) -> dict[str, Any]:
    """The ``analyse_votes`` CLI format; ``extended`` adds coordinates and rates.

    ``{"groups": [{"id", "size", "representative": [comment_id]}],
    "participants": {participant_id: group_id}, "consensus": [comment_id],
    "divisive": [comment_id]}``
    """
    groups = []
    for g in result.groups:
        item: dict[str, Any] = {
            "id": g.id,
            "size": g.size,
            "representative": [r.comment_id for r in g.representative],
        }
        if extended:
            item["representative_detail"] = [
                {
                    "comment_id": r.comment_id,
                    "direction": r.direction,
                    "group_rate": round(r.group_rate, 4),
                    "other_rate": round(r.other_rate, 4),
                    "z": round(r.z, 3),
                }
                for r in g.representative
            ]
        groups.append(item)
    out: dict[str, Any] = {
        "groups": groups,
        "stability": None if result.stability is None else round(result.stability, 3),
        "warm_start": result.warm_start,
        "min_votes": result.min_votes,
        "participants": dict(result.assignments),
        "consensus": list(result.consensus),
        "divisive": list(result.divisive),
    }
    if extended:
        out["coordinates"] = {
            p: [round(x, 5), round(y, 5)] for p, (x, y) in result.coordinates.items()
        }
    return out


def analyse_votes_json(
    comments_csv: str | Path,
    votes_csv: str | Path | None = None,
    participants_votes_csv: str | Path | None = None,
    seed: int = 0,
    extended: bool = False,
    previous: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Opinion groups from a Pol.is export as the ``analyse_votes`` JSON.

    Votes come from ``votes_csv`` (last vote per voter and comment wins) when
    given, else from ``participants_votes_csv``. Comments moderated out
    (``moderated == -1``) are left out of the analysis. ``previous``: the
    ``participants`` map of an earlier result, to keep its groups and ids
    where the votes allow (see :func:`opinions.opinion_groups`).
    """
    comments = read_comments(comments_csv)
    comment_ids = [c.comment_id for c in comments]
    if votes_csv is not None:
        matrix = votes_to_matrix(read_last_votes(votes_csv), comment_ids=comment_ids)
    elif participants_votes_csv is not None:
        matrix = read_participants_votes(participants_votes_csv).matrix
    else:
        raise ValueError("give votes_csv or participants_votes_csv")
    excluded = {c.comment_id for c in comments if c.moderated < 0}
    result = analyse_votes(
        matrix, seed=seed, exclude_comments=excluded, previous=previous
    )
    return opinion_groups_to_json(result, extended=extended)


def analyse_polis_export(
    directory: str | Path, seed: int = 0, extended: bool = False
) -> dict[str, Any]:
    """``analyse_votes_json`` on a folder holding a Pol.is export."""
    folder = Path(directory)
    votes = folder / "votes.csv"
    pvotes = folder / "participants-votes.csv"
    return analyse_votes_json(
        folder / "comments.csv",
        votes_csv=votes if votes.exists() else None,
        participants_votes_csv=pvotes if pvotes.exists() else None,
        seed=seed,
        extended=extended,
    )
