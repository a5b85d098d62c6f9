"""Near-duplicate pairs and a similar-ideas index for "did someone say this?".

Pairs are found by chunked dot products on the dense unit vectors (memory
linear in n, never an n x n matrix) and, when the sparse TF-IDF rows are given,
confirmed by their exact lexical cosine, which is stricter than topic likeness.
Given blocks (the micro-clusters of a large analysis), each row is compared only
with the rows of the ``N_PROBE`` blocks whose centres are nearest to it, as an
inverted-file index does: linear in n instead of quadratic.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .types import Document, DuplicatePair
from .vectorise import LsaVectoriser, npz_bytes

__all__ = ["SimilarityIndex", "find_duplicates", "lexical_verifier", "most_similar"]

# Size of one block of similarities (floats) computed at a time: ~64 MiB.
BLOCK_FLOATS = 16_000_000

# Blocks probed per row: a pair is found when either row probes the other's block.
# On 100,000 synthetic ideas (bench/bench_insights.py) in their 1,500
# micro-clusters, 2 probes found 99.1 % and 4 probes 99.5 % of the pairs that
# the all-pairs search finds and the lexical check confirms (on a sample of
# 200,000 of its 11 million candidates); 8 cost about the same as 4.
N_PROBE = 8

Verifier = Callable[[np.ndarray, np.ndarray], np.ndarray]


def lexical_verifier(features: sp.csr_matrix) -> Verifier:
    """Cosine of L2-normalised sparse rows for index pairs (a[i], b[i])."""

    def verify(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if len(a) == 0:
            return np.zeros(0)
        return np.asarray(features[a].multiply(features[b]).sum(axis=1)).ravel()

    return verify


def _candidate_pairs(
    vectors: np.ndarray, threshold: float, max_candidates: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(vectors)
    chunk = max(1, min(n, BLOCK_FLOATS // max(n, 1)))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    kept = 0
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        # Only columns j >= start are needed: pairs (i, j) with i < j.
        block = vectors[start:stop] @ vectors[start:].T
        local = np.arange(stop - start)[:, None] >= np.arange(n - start)[None, :]
        block[local] = -1.0
        r, c = np.nonzero(block >= threshold)
        if len(r):
            rows.append(r + start)
            cols.append(c + start)
            vals.append(block[r, c])
            kept += len(r)
        if kept > 2 * max_candidates:  # keep memory bounded on repetitive corpora
            rows, cols, vals = _top(
                [np.concatenate(x) for x in (rows, cols, vals)], max_candidates
            )
            kept = len(vals[0])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    r, c, v = (np.concatenate(x) for x in (rows, cols, vals))
    return r, c, v


def _blocked_candidate_pairs(
    vectors: np.ndarray,
    blocks: np.ndarray,
    threshold: float,
    max_candidates: int,
    n_probe: int = N_PROBE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) at ``threshold`` among rows sharing a probed block."""
    n = len(vectors)
    blocks = np.asarray(blocks, dtype=np.int64)
    n_blocks = int(blocks.max()) + 1
    member = sp.csr_matrix(
        (np.ones(n, dtype=np.float32), (blocks, np.arange(n))), shape=(n_blocks, n)
    )
    centres = normalize(member @ vectors).astype(np.float32)
    p = min(n_probe, n_blocks)
    probes = np.empty((n, p), dtype=np.int64)
    chunk = max(1, BLOCK_FLOATS // max(n_blocks, 1))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        sims = vectors[start:stop] @ centres.T
        here = np.arange(stop - start)
        sims[here, blocks[start:stop]] = np.inf  # one's own block first
        # p passes of argmax: ten times faster than argpartition on 1,500 columns.
        for k in range(p):
            best = sims.argmax(axis=1)
            probes[start:stop, k] = best
            sims[here, best] = -np.inf
    # Inverted lists: the members of each block, and the rows probing it.
    members = np.argsort(blocks, kind="stable")
    member_bounds = np.searchsorted(blocks[members], np.arange(n_blocks + 1))
    flat = probes.ravel()
    askers = np.repeat(np.arange(n), p)[np.argsort(flat, kind="stable")]
    asker_bounds = np.searchsorted(np.sort(flat), np.arange(n_blocks + 1))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    kept = 0
    for b in range(n_blocks):
        m = members[member_bounds[b] : member_bounds[b + 1]]
        q = askers[asker_bounds[b] : asker_bounds[b + 1]]
        if not len(m) or not len(q):
            continue
        sims = vectors[q] @ vectors[m].T
        r, c = np.nonzero(sims >= threshold)
        a, z = q[r], m[c]
        keep = a != z
        if keep.any():
            rows.append(np.minimum(a[keep], z[keep]))
            cols.append(np.maximum(a[keep], z[keep]))
            vals.append(sims[r[keep], c[keep]])
            kept += int(keep.sum())
        if kept > 4 * max_candidates:  # keep memory bounded on repetitive corpora
            rows, cols, vals = _unique_top(rows, cols, vals, n, max_candidates)
            kept = len(vals[0])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    # At most max_candidates go on to the (costly) lexical check, as in the
    # all-pairs search: on repetitive corpora there are millions.
    rows, cols, vals = _unique_top(rows, cols, vals, n, max_candidates)
    return rows[0], cols[0], vals[0]


def _unique_top(
    rows: list[np.ndarray],
    cols: list[np.ndarray],
    vals: list[np.ndarray],
    n: int,
    k: int | None,
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """One entry per pair (a pair is met from both of its rows), best ``k``."""
    r, c, v = (np.concatenate(x) for x in (rows, cols, vals))
    _, first = np.unique(r * n + c, return_index=True)
    r, c, v = r[first], c[first], v[first]
    if k is None:
        return [r], [c], [v]
    # Ties at the cut are kept by position, as the all-pairs search keeps them.
    keep = np.lexsort((c, r, -v))[:k]
    return [r[keep]], [c[keep]], [v[keep]]


def _top(
    arrays: list[np.ndarray], k: int
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    r, c, v = arrays
    if len(v) > k:
        keep = np.argpartition(-v, k - 1)[:k]
        r, c, v = r[keep], c[keep], v[keep]
    return [r], [c], [v]


def find_duplicates(
    vectors: np.ndarray,
    ids: Sequence[str],
    threshold: float = 0.8,
    verify: Verifier | None = None,
    max_pairs: int = 10_000,
    blocks: np.ndarray | None = None,
) -> list[DuplicatePair]:
    """Pairs of documents with cosine >= ``threshold``, best first.

    ``blocks`` (a block id per row, e.g. micro-clusters) limits the search to
    rows in nearby blocks (see the module's docstring); without it every pair
    is compared.

    Candidates come from the dense vectors at ``threshold``; with ``verify``
    (see :func:`lexical_verifier`) their final score is the lexical cosine and
    must also reach ``threshold``. At most ``max_pairs`` pairs are returned.
    Ties are broken by position so that the output is deterministic.
    """
    if len(vectors) < 2:
        return []
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if blocks is not None and len(blocks) == len(vectors):
        r, c, v = _blocked_candidate_pairs(
            vectors, blocks, threshold, max_candidates=max_pairs * 5
        )
    else:
        r, c, v = _candidate_pairs(vectors, threshold, max_candidates=max_pairs * 5)
    scores = v.astype(np.float64)
    if verify is not None and len(r):
        scores = verify(r, c)
    keep = scores >= threshold
    r, c, scores = r[keep], c[keep], np.minimum(scores[keep], 1.0)
    order = np.lexsort((c, r, -np.round(scores, 6)))[:max_pairs]
    return [
        DuplicatePair(id_a=ids[r[i]], id_b=ids[c[i]], score=round(float(scores[i]), 4))
        for i in order
    ]


class SimilarityIndex:
    """Dense unit vectors of existing ideas, queried with a fitted vectoriser.

    Build once (fits the vectoriser unless one is passed), then ``query`` a
    resident's draft in about a millisecond per 10,000 ideas. ``add`` and
    ``remove`` keep the index current between rebuilds; new texts are encoded
    with the vocabulary of the last build.
    """

    def __init__(
        self, vectoriser: LsaVectoriser, ids: Sequence[str], vectors: np.ndarray
    ) -> None:
        self.vectoriser = vectoriser
        self.ids: list[str] = [str(i) for i in ids]
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._pos = {doc_id: i for i, doc_id in enumerate(self.ids)}

    @classmethod
    def build(
        cls,
        docs: Sequence[Document] | Sequence[tuple[str, str]],
        vectoriser: LsaVectoriser | None = None,
        seed: int = 0,
    ) -> SimilarityIndex:
        """Index ``Document``s or ``(id, text)`` pairs."""
        pairs = [(d.id, d.text) if isinstance(d, Document) else d for d in docs]
        ids = [str(p[0]) for p in pairs]
        texts = [p[1] or "" for p in pairs]
        if vectoriser is None:
            # Full LSA width: finding the same idea needs detail, not topics.
            vectoriser = LsaVectoriser(seed=seed, adaptive_dims=False)
            vectors = vectoriser.fit_transform(texts)
        else:
            vectors = vectoriser.transform(texts)
        return cls(vectoriser, ids, vectors)

    def __len__(self) -> int:
        return len(self.ids)

    def query(
        self,
        text: str,
        k: int = 5,
        min_score: float = 0.3,
        exclude: Sequence[str] = (),
    ) -> list[tuple[str, float]]:
        """Top-``k`` (id, cosine) pairs with cosine >= ``min_score``, best first."""
        if not len(self.ids) or not (text or "").strip() or k <= 0:
            return []
        q = self.vectoriser.transform([text])[0]
        scores = self.vectors @ q
        for doc_id in exclude:
            if doc_id in self._pos:
                scores[self._pos[doc_id]] = -np.inf
        take = min(k, len(scores))
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.lexsort((top, -scores[top]))]
        return [
            (self.ids[i], round(float(scores[i]), 4))
            for i in top
            if scores[i] >= min_score
        ]

    most_similar = query

    def add(self, doc_id: str, text: str) -> None:
        """Add or replace one idea without refitting the vectoriser."""
        vec = self.vectoriser.transform([text or ""])[0]
        doc_id = str(doc_id)
        if doc_id in self._pos:
            self.vectors[self._pos[doc_id]] = vec
            return
        self._pos[doc_id] = len(self.ids)
        self.ids.append(doc_id)
        self.vectors = np.vstack([self.vectors.reshape(-1, len(vec)), vec[None, :]])

    def remove(self, doc_id: str) -> None:
        pos = self._pos.pop(str(doc_id), None)
        if pos is None:
            return
        del self.ids[pos]
        self.vectors = np.delete(self.vectors, pos, axis=0)
        self._pos = {d: i for i, d in enumerate(self.ids)}

    def to_bytes(self) -> bytes:
        arrays = self.vectoriser.to_arrays(prefix="vec_")
        arrays["vectors"] = self.vectors
        arrays["ids"] = np.frombuffer(json.dumps(self.ids).encode(), np.uint8)
        return npz_bytes(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> SimilarityIndex:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        ids = json.loads(bytes(arrays["ids"]).decode())
        return cls(LsaVectoriser.from_arrays(arrays, "vec_"), ids, arrays["vectors"])


def most_similar(
    index: SimilarityIndex, text: str, k: int = 5, min_score: float = 0.3
) -> list[tuple[str, float]]:
    """Function form of :meth:`SimilarityIndex.query`."""
    return index.query(text, k=k, min_score=min_score)
