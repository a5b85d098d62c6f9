"""Spectral topic clustering on a k-nearest-neighbour cosine graph, k by modularity.

Ideas become nodes joined to their 16 nearest neighbours (cosine); the normalised
graph Laplacian's smallest eigenvectors embed them, and k-means on the
row-normalised embedding gives the topics (Ng, Jordan and Weiss 2001). One
eigendecomposition serves every candidate k; k is the one whose split has the
highest modularity on the same graph (coarse grid, then its neighbours). The
Laplacian's eigengap was tried first and is too flat on real ideas. Above a few
thousand ideas the graph joins k-means micro-clusters, so 100,000 ideas stay in
seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.preprocessing import normalize

__all__ = ["SpectralResult", "combine", "knn_graph", "spectral_topics"]

NEIGHBOURS = 16
# Above this many rows the graph joins micro-clusters, not single ideas.
DIRECT_MAX = 4000
MICRO_CLUSTERS = 1500
# Mini-batch steps of the micro-clusters, at most (about two passes over 100,000
# ideas). Left to its own stopping rule, MiniBatchKMeans took 94 steps on the
# bench's 100,000 centred vectors (56 before centring), 40-50 s on 2 cores; 24
# steps split those ideas as well (NMI against the departments of the petitions
# the synthetic ideas came from: 0.195 against 0.193 at automatic k, 0.183
# against 0.182 at k = 13).
MICRO_STEPS = 24
_MICRO_BATCH = 8192
K_MAX = 30
_BLOCK = 2048
# The LSA block is mean-centred from this many texts on (see combine()).
CENTRE_LSA_FROM = 100
# Modularity scores this close (relative) to the best count as a tie.
MODULARITY_TIE = 0.01


@dataclass
class SpectralResult:
    """Labels per row, the k used, and the eigenvalues that chose it."""

    labels: np.ndarray
    k: int
    eigenvalues: list[float] = field(default_factory=list)
    k_chosen_automatically: bool = False
    micro_clusters: int = 0
    modularity: dict[int, float] = field(default_factory=dict)  # per k tried
    # Micro-cluster of each row (None without micro-clusters): blocks in which
    # near-duplicates are searched.
    micro_labels: np.ndarray | None = None


def _centred(block: np.ndarray) -> np.ndarray:
    """Rows minus the mean of the non-zero rows; zero rows (empty texts) stay zero."""
    out = np.asarray(block, dtype=np.float32)
    zero = ~out.any(axis=1)
    if (~zero).any():
        out = out - out[~zero].mean(axis=0)
        out[zero] = 0.0
    return out


def combine(lsa: np.ndarray, embeddings: np.ndarray | None) -> np.ndarray:
    """Mean-centred character-LSA vectors and embeddings at equal weight.

    Sentence embeddings of one corpus share a large common direction (all
    petitions "sound like" petitions); removing the corpus mean leaves what sets
    ideas apart. The LSA block has one too (its first latent direction is the
    corpus's common n-grams) and, from ``CENTRE_LSA_FROM`` texts, is centred
    the same way: on the labelled petitions this raised NMI at k = 13 on the
    whole set and on two random 80 % subsets alike (docs/insights-cli.md). On a
    handful of texts the mean is mostly the topics themselves, and centring
    split 16 ideas of two topics into three. Each block is unit-normalised per
    row, so each weighs half of every cosine, and the concatenation is
    unit-normalised again.
    """
    if embeddings is None or not len(embeddings):
        return lsa.astype(np.float32)
    lsa_block = _centred(lsa) if len(lsa) >= CENTRE_LSA_FROM else lsa
    # normalize() leaves zero rows at zero; the final normalize() brings rows
    # with one empty block (identical texts centre to zero) back to unit length.
    blocks = [normalize(lsa_block), normalize(_centred(embeddings))]
    return normalize(np.hstack(blocks)).astype(np.float32)


def knn_graph(vectors: np.ndarray, neighbours: int = NEIGHBOURS) -> sp.csr_matrix:
    """Symmetric cosine k-NN affinity (negative similarities clipped to 0)."""
    n = len(vectors)
    m = min(neighbours, n - 1)
    if m < 1:
        return sp.csr_matrix((n, n), dtype=np.float64)
    rows, cols, vals = [], [], []
    for start in range(0, n, _BLOCK):
        sims = vectors[start : start + _BLOCK] @ vectors.T
        idx = np.arange(start, min(start + _BLOCK, n))
        sims[idx - start, idx] = -np.inf  # not one's own neighbour
        top = np.argpartition(-sims, m - 1, axis=1)[:, :m]
        rows.append(np.repeat(idx, m))
        cols.append(top.ravel())
        vals.append(np.take_along_axis(sims, top, axis=1).ravel())
    w = np.clip(np.concatenate(vals), 0.0, None) + 1e-6
    graph = sp.csr_matrix(
        (w, (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    return graph.maximum(graph.T).tocsr()


def _spectrum(
    graph: sp.csr_matrix, n_vectors: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest eigenvalues of the normalised Laplacian and their eigenvectors."""
    n = graph.shape[0]
    degree = np.asarray(graph.sum(axis=1)).ravel()
    inv = 1.0 / np.sqrt(np.where(degree > 0, degree, 1.0))
    d = sp.diags(inv)
    affinity = d @ graph @ d
    if n <= 600:
        mu, vec = np.linalg.eigh(affinity.toarray())
        mu, vec = mu[::-1][:n_vectors], vec[:, ::-1][:, :n_vectors]
    else:
        v0 = np.random.default_rng(seed).uniform(-1, 1, n)
        mu, vec = eigsh(affinity, k=n_vectors, which="LA", v0=v0, tol=1e-6)
        order = np.argsort(-mu)
        mu, vec = mu[order], vec[:, order]
    return 1.0 - mu, vec


def _k_bounds(n_items: int, k_max: int) -> tuple[int, int]:
    # A planner reads 4 to 30 topics; fewer than 4 says nothing on hundreds of
    # ideas, and sqrt(n) bounds what small corpora can support.
    high = max(2, min(k_max, int(np.sqrt(max(n_items, 1)))))
    low = min(high, 4 if n_items >= 100 else 2)
    return low, high


def modularity(graph: sp.csr_matrix, labels: np.ndarray) -> float:
    """Newman's modularity Q of a partition of a weighted undirected graph."""
    n_labels = int(labels.max()) + 1 if len(labels) else 0
    member = sp.csr_matrix(
        (np.ones(len(labels)), (np.arange(len(labels)), labels)),
        shape=(len(labels), n_labels),
    )
    total = graph.sum()
    if total <= 0:
        return 0.0
    inside = (member.T @ graph @ member).diagonal() / total
    degree = np.asarray(member.T @ graph.sum(axis=1)).ravel() / total
    return float((inside - degree**2).sum())


def _split(embedding: np.ndarray, k: int, seed: int, n_init: int) -> np.ndarray:
    rows = normalize(embedding[:, :k])
    return (
        KMeans(n_clusters=k, n_init=n_init, random_state=seed)
        .fit_predict(rows)
        .astype(np.int64)
    )


def _coarse_grid(low: int, high: int) -> list[int]:
    grid, k = [], low
    while k < high:
        grid.append(k)
        k = max(k + 1, int(round(k * 1.25)))
    return [*grid, high]


def choose_k_by_modularity(
    graph: sp.csr_matrix, embedding: np.ndarray, low: int, high: int, seed: int
) -> tuple[int, dict[int, float]]:
    """k whose spectral split has the highest modularity, coarse then fine.

    Modularity asks how much more weight stays inside the topics than chance
    would put there; unlike silhouette it does not creep up with k, and each
    candidate costs one k-means on a k-column embedding, not on the texts.
    A geometric grid finds the region, then its neighbours are tried.
    """
    scores: dict[int, float] = {}

    def score(k: int) -> float:
        if k not in scores:
            scores[k] = modularity(graph, _split(embedding, k, seed, n_init=3))
        return scores[k]

    best = max(_coarse_grid(low, high), key=score)
    for k in range(max(low, best - 3), min(high, best + 3) + 1):
        score(k)
    # Modularity's resolution limit merges small topics (Fortunato and
    # Barthelemy 2007): among near-ties, take the finer split.
    top = max(scores.values())
    best = max(k for k, v in scores.items() if v >= top - MODULARITY_TIE * abs(top))
    return best, {k: round(v, 5) for k, v in sorted(scores.items())}


def spectral_topics(
    vectors: np.ndarray,
    n_clusters: int | None = None,
    seed: int = 0,
    k_max: int = K_MAX,
    neighbours: int = NEIGHBOURS,
) -> SpectralResult:
    """Topic labels for unit-row ``vectors``; ``n_clusters=None`` picks k itself.

    Below ``DIRECT_MAX`` rows every idea is a node. Above, MiniBatchKMeans first
    makes ``MICRO_CLUSTERS`` micro-clusters; the graph joins their unit centres
    and each idea takes its micro-cluster's topic.
    """
    n = len(vectors)
    if n == 0:
        return SpectralResult(np.zeros(0, np.int64), 0)
    distinct = len(np.unique(np.round(vectors, 5), axis=0))
    if n_clusters is not None:
        n_clusters = max(1, min(int(n_clusters), distinct))
    if distinct < 4 or n_clusters == 1 or n < 8:
        k = 1 if n_clusters is None or distinct < 2 else min(n_clusters, distinct)
        labels = (
            np.zeros(n, np.int64)
            if k == 1
            else KMeans(n_clusters=k, n_init=10, random_state=seed)
            .fit_predict(vectors)
            .astype(np.int64)
        )
        return SpectralResult(labels, k, k_chosen_automatically=n_clusters is None)
    micro = 0
    nodes = vectors
    owner = np.arange(n)
    if n > DIRECT_MAX:
        micro = MICRO_CLUSTERS
        km = MiniBatchKMeans(
            n_clusters=micro,
            batch_size=_MICRO_BATCH,
            # max_iter counts passes over the data: so many as make MICRO_STEPS.
            max_iter=max(1, int(np.ceil(MICRO_STEPS * _MICRO_BATCH / n))),
            n_init=1,
            random_state=seed,
            max_no_improvement=10,
            # k-means++ seeding of 1,500 centres was 90 % of the time (it picks
            # them one by one, each against every row); these are micro-clusters
            # that the graph joins, not topics, so random seeding is enough.
            init="random",
        )
        owner = km.fit_predict(vectors)
        nodes = normalize(km.cluster_centers_).astype(np.float32)
    graph = knn_graph(nodes, neighbours)
    low, high = _k_bounds(n, k_max)
    high = min(high, len(nodes) - 2)
    low = min(low, high)
    want = high if n_clusters is None else min(n_clusters, len(nodes) - 2)
    lam, embedding = _spectrum(graph, max(want, 2) + 1, seed)
    scores: dict[int, float] = {}
    if n_clusters is None:
        k, scores = choose_k_by_modularity(graph, embedding, low, high, seed)
    else:
        k = max(1, want)
    labels = (
        _split(embedding, k, seed, n_init=10)
        if k > 1
        else np.zeros(len(nodes), np.int64)
    )
    return SpectralResult(
        labels=labels[owner],
        k=k,
        eigenvalues=[round(float(x), 6) for x in lam],
        k_chosen_automatically=n_clusters is None,
        micro_clusters=micro,
        modularity=scores,
        micro_labels=owner if micro else None,
    )
