"""Near-duplicate pairs and a similar-ideas index for "did someone say this?".

Pairs are found by chunked dot products on the dense unit vectors (memory
linear in n, never an n x n matrix) and, when the sparse TF-IDF rows are given,
confirmed by their exact lexical cosine, which is stricter than topic likeness.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from .types import Document, DuplicatePair
from .vectorise import LsaVectoriser

__all__ = ["SimilarityIndex", "find_duplicates", "lexical_verifier", "most_similar"]

# Size of one block of similarities (floats) computed at a time: ~64 MiB.
BLOCK_FLOATS = 16_000_000

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
) -> list[DuplicatePair]:
    """Pairs of documents with cosine >= ``threshold``, best first.

    Candidates come from the dense vectors at ``threshold``; with ``verify``
    (see :func:`lexical_verifier`) their final score is the lexical cosine and
    must also reach ``threshold``. At most ``max_pairs`` pairs are returned.
    Ties are broken by position so that the output is deterministic.
    """
    if len(vectors) < 2:
        return []
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
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
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

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
