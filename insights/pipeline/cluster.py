"""Group document vectors into topic clusters and keep a model to assign new ones.

k is given or chosen by cosine silhouette over a range on a sample; KMeans runs
on small corpora and MiniBatchKMeans on large ones, both seeded for determinism.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from .types import DriftReport
from .vectorise import LsaVectoriser, Vectoriser, npz_bytes

__all__ = [
    "ClusterModel",
    "choose_k",
    "cluster_vectors",
    "k_range",
]

# Above this many documents full-batch KMeans is too slow on 2 cores.
MINIBATCH_ABOVE = 20_000
# Silhouette is flat-ish and creeps upward with k on text; the smallest k within
# this share of the best score gives fewer, more readable clusters.
SILHOUETTE_TOLERANCE = 0.9


def k_range(n_docs: int, k_max: int = 30) -> range:
    """Candidate k for automatic choice: k_min .. min(k_max, sqrt(n)).

    k_min is 2 for small corpora and grows as sqrt(n) / 10 (at most k_max / 2):
    on thousands of ideas the silhouette often peaks at a split by language or
    length, and two clusters of 10,000 ideas tell a planner nothing.
    """
    root = np.sqrt(max(n_docs, 0))
    high = max(2, min(k_max, int(root)))
    low = max(2, min(k_max // 2, int(root / 10)))
    return range(min(low, high), high + 1)


def _distinct_rows(vectors: np.ndarray) -> int:
    # Rounded so that float noise on identical texts counts as identical.
    return len(np.unique(np.round(vectors, 5), axis=0)) if len(vectors) else 0


def _kmeans(vectors: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(vectors)
    if k <= 1 or n <= 1:
        centre = vectors.mean(axis=0, keepdims=True) if n else vectors[:0]
        return np.zeros(n, dtype=np.int64), centre
    if n > MINIBATCH_ABOVE:
        model: KMeans | MiniBatchKMeans = MiniBatchKMeans(
            n_clusters=k,
            batch_size=4096,
            n_init=3,
            max_no_improvement=20,
            random_state=seed,
        )
    else:
        # More restarts are cheap on small corpora and steady the result.
        model = KMeans(n_clusters=k, n_init=10 if n <= 5000 else 4, random_state=seed)
    labels = model.fit_predict(vectors)
    return labels.astype(np.int64), model.cluster_centers_


def choose_k(
    vectors: np.ndarray,
    seed: int = 0,
    candidates: Sequence[int] | None = None,
    sample_size: int = 3000,
) -> tuple[int, dict[int, float]]:
    """Pick k by cosine silhouette on a seeded sample; returns (k, scores).

    Fewer than 4 distinct vectors give k = 1 (nothing to separate), with no
    scores. Otherwise the smallest k whose silhouette is within 90 % of the best
    is chosen, because on text the score rises slowly with k.
    """
    n = len(vectors)
    distinct = _distinct_rows(vectors)
    if distinct < 4:
        return 1, {}
    cands = [k for k in (candidates or k_range(n)) if 2 <= k < distinct]
    if not cands:
        return 1, {}
    rng = np.random.default_rng(seed)
    sample = vectors
    if n > sample_size:
        sample = vectors[np.sort(rng.choice(n, sample_size, replace=False))]
    scores: dict[int, float] = {}
    for k in cands:
        labels = KMeans(n_clusters=k, n_init=2, random_state=seed).fit_predict(sample)
        if len(set(labels.tolist())) < 2:
            continue
        scores[k] = float(silhouette_score(sample, labels, metric="cosine"))
    if not scores:
        return 1, {}
    best = max(scores.values())
    threshold = best * SILHOUETTE_TOLERANCE if best > 0 else best
    k = min(k for k, s in scores.items() if s >= threshold)
    return k, scores


def cluster_vectors(
    vectors: np.ndarray, n_clusters: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
    """Cluster L2-normalised vectors; returns (labels, unit centroids, scores).

    Cluster ids are renumbered by decreasing size (ties by first member) so
    that the same input and seed always give the same ids, and ``0`` is the
    biggest topic. ``n_clusters`` is capped by the number of distinct vectors.
    """
    n = len(vectors)
    scores: dict[int, float] = {}
    if n == 0:
        return np.zeros(0, np.int64), np.zeros((0, vectors.shape[1]), np.float32), {}
    if n_clusters is None:
        k, scores = choose_k(vectors, seed=seed)
    else:
        k = max(1, min(int(n_clusters), _distinct_rows(vectors)))
    labels, _ = _kmeans(vectors, k, seed)
    # Renumber by size so ids are stable and meaningful.
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    remap = np.empty(ids.max() + 1, dtype=np.int64)
    remap[ids[order]] = np.arange(len(order))
    labels = remap[labels]
    centroids = np.vstack(
        [vectors[labels == c].mean(axis=0) for c in range(len(order))]
    )
    return labels, normalize(centroids).astype(np.float32), scores


@dataclass
class ClusterModel:
    """Fitted vectoriser plus unit centroids: assigns new ideas to clusters.

    ``fit_mean_similarity`` is the mean cosine of fit-time members to their
    centroid; :meth:`drift` compares new ideas against it to tell when the
    clusters no longer describe what residents write (time for a full re-run).
    """

    vectoriser: Vectoriser
    centroids: np.ndarray  # (k, dim) float32, rows L2-normalised
    labels: tuple[str, ...] = ()
    fit_mean_similarity: float = 0.0
    fit_std_similarity: float = 0.0

    @classmethod
    def from_fit(
        cls,
        vectoriser: Vectoriser,
        vectors: np.ndarray,
        assignments: np.ndarray,
        centroids: np.ndarray,
        labels: Sequence[str] = (),
    ) -> ClusterModel:
        sims = (
            np.einsum("ij,ij->i", vectors, centroids[assignments])
            if len(vectors)
            else np.zeros(0)
        )
        return cls(
            vectoriser=vectoriser,
            centroids=centroids.astype(np.float32),
            labels=tuple(labels),
            fit_mean_similarity=float(sims.mean()) if len(sims) else 0.0,
            fit_std_similarity=float(sims.std()) if len(sims) else 0.0,
        )

    @property
    def n_clusters(self) -> int:
        return len(self.centroids)

    def assign_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Cluster id and cosine similarity for each text (-1, 0.0 if no clusters)."""
        if not len(texts) or not self.n_clusters:
            return np.full(len(texts), -1, np.int64), np.zeros(len(texts))
        sims = self.vectoriser.transform(list(texts)) @ self.centroids.T
        best = sims.argmax(axis=1)
        return best.astype(np.int64), sims[np.arange(len(texts)), best].astype(float)

    def assign(self, text: str) -> tuple[int, float]:
        """(cluster_id, cosine similarity) of one new idea; (-1, 0.0) if no model."""
        ids, sims = self.assign_many([text])
        return int(ids[0]), float(sims[0])

    def drift(self, texts: Sequence[str], tolerance: float = 0.75) -> DriftReport:
        """Compare new ideas' similarity to their centroid with the fit-time mean.

        ``degraded`` is true when the new mean falls below ``tolerance`` times the
        fit-time mean (or one fit-time standard deviation below it, whichever is
        lower), i.e. new ideas mostly do not fit any existing topic.
        """
        _, sims = self.assign_many(texts)
        return self.drift_from_similarities(sims, tolerance)

    def drift_from_similarities(
        self, similarities: Sequence[float] | np.ndarray, tolerance: float = 0.75
    ) -> DriftReport:
        """:meth:`drift` from similarities already returned by :meth:`assign`.

        Callers that stored each new idea's similarity when it was assigned can
        tell whether the fit degraded without vectorising the texts again.
        """
        sims = np.asarray(similarities, dtype=float)
        new_mean = float(sims.mean()) if len(sims) else self.fit_mean_similarity
        fit = self.fit_mean_similarity
        ratio = new_mean / fit if fit > 0 else 1.0
        floor = min(fit * tolerance, fit - self.fit_std_similarity)
        return DriftReport(
            n_new=len(sims),
            fit_mean_similarity=fit,
            new_mean_similarity=new_mean,
            ratio=ratio,
            degraded=bool(len(sims) > 0 and new_mean < floor),
        )

    def fit_degraded(self, texts: Sequence[str], tolerance: float = 0.75) -> bool:
        """True when the ideas in ``texts`` call for a full re-analysis."""
        return self.drift(texts, tolerance).degraded

    # -- serialisation: plain arrays in an npz, no pickle needed -------------
    def to_bytes(self) -> bytes:
        if not isinstance(self.vectoriser, LsaVectoriser):
            raise TypeError("only LsaVectoriser models serialise to bytes; use pickle")
        arrays = self.vectoriser.to_arrays(prefix="vec_")
        meta = {
            "labels": list(self.labels),
            "fit_mean_similarity": self.fit_mean_similarity,
            "fit_std_similarity": self.fit_std_similarity,
            "format": 1,
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        arrays["centroids"] = self.centroids
        return npz_bytes(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> ClusterModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(bytes(arrays["meta"]).decode())
        return cls(
            vectoriser=LsaVectoriser.from_arrays(arrays, prefix="vec_"),
            centroids=arrays["centroids"].astype(np.float32),
            labels=tuple(meta["labels"]),
            fit_mean_similarity=float(meta["fit_mean_similarity"]),
            fit_std_similarity=float(meta["fit_std_similarity"]),
        )
