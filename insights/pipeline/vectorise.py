"""Turn texts in any language into dense, L2-normalised vectors.

The default :class:`LsaVectoriser` combines character n-gram TF-IDF (robust for
languages without spaces and for typos) with word TF-IDF (CJK runs split into
character bigrams) and reduces both with TruncatedSVD (latent semantic analysis).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import warnings
from collections.abc import Sequence
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

__all__ = [
    "LsaVectoriser",
    "Vectoriser",
    "normalise_text",
    "tokenize",
    "word_tokens",
]

# Hiragana, Katakana, CJK unified ideographs (+ extension A and compatibility
# forms): scripts written without spaces, so "words" are made of char bigrams.
# Hangul is written with spaces and is left to the ordinary word rule.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W{_CJK}]+")
_CJK_RE = re.compile(rf"[{_CJK}]")
_DIGITS_RE = re.compile(r"^[\d_]+$")

# Function characters that make CJK bigrams meaningless as keywords ("的", "是"...).
CJK_STOP_CHARS = frozenset(
    "的了是在也都而及與与和或就我你他她它這这那之其嗎吗吧呢啊很個个覺觉讓让像被把給给對对得"
)
# Bigrams too common in any opinion text to name a topic ("I think", "we", "should").
CJK_STOP_BIGRAMS = frozenset(
    "覺得 觉得 我們 我们 他們 他们 你們 你们 因為 因为 所以 但是 如果 可以 沒有 没有"
    " 該要 该要 這樣 这样 什麼 什么 應該 应该 認為 认为 希望 需要"
    " 不是 不要 還是 还是".split()
)
# Apostrophes split words, so "don't" leaves "don": add such leftovers, and the
# fillers of opinion writing ("we need", "I would like") that name no topic.
_EXTRA_STOP = """don doesn didn isn aren wasn won ll ve re im like need needs want wants
think please really lot things thing way make going get got"""
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(_EXTRA_STOP.split())

# Above this many texts the vocabularies and the LSA are fitted on a seeded random
# sample of this size and the other texts are only transformed: 20,000 texts fix
# the character n-grams and latent directions of a corpus about as well as
# 100,000 do, and fitting on all of them was half of a 100,000-idea report.
FIT_SAMPLE = 20_000


def normalise_text(text: str) -> str:
    """NFKC-fold (full-width to ASCII, ligatures) and lowercase."""
    return unicodedata.normalize("NFKC", text or "").lower()


def tokenize(text: str) -> list[str]:
    """Split text into word tokens; runs of CJK characters become char bigrams.

    Keeps stopwords (callers filter them) but drops pure numbers and
    one-letter Latin tokens, which are noise for topics.
    """
    out: list[str] = []
    for piece in _TOKEN_RE.findall(normalise_text(text)):
        out.extend(_piece_tokens(piece))
    return out


def _piece_tokens(tok: str) -> list[str]:
    """The tokens of one match of ``_TOKEN_RE`` (see :func:`tokenize`)."""
    if _CJK_RE.match(tok):
        if len(tok) == 1:
            return [tok]
        return [tok[i : i + 2] for i in range(len(tok) - 1)]
    if len(tok) > 1 and not _DIGITS_RE.match(tok):
        return [tok]
    return []


def is_stop_token(token: str) -> bool:
    """True for English stopwords and CJK bigrams made of function characters."""
    if _CJK_RE.match(token):
        return (
            len(token) < 2
            or token in CJK_STOP_BIGRAMS
            or any(ch in CJK_STOP_CHARS for ch in token)
        )
    return token in STOP_WORDS


def word_tokens(text: str) -> list[str]:
    """Tokens without stopwords: the analyzer of the word TF-IDF block."""
    return [t for t in tokenize(text) if not is_stop_token(t)]


def _char_wb_ngrams(word: str, low: int, high: int) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyser cuts from one word."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        if len(padded) <= n:  # a short word is counted once, whole
            break
    return grams


def _word_features(piece: str) -> list[str]:
    return [t for t in _piece_tokens(piece) if not is_stop_token(t)]


def fast_tfidf(vec: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """``vec.transform(texts)`` for our fitted char and word vectorisers, in C.

    Their features never cross a piece of text (a word between spaces for
    ``char_wb`` n-grams, a match of the token pattern for words), so a text's
    features are its pieces' features: each distinct piece is cut once and
    (texts x pieces) @ (pieces x features) counts them. scikit-learn counts
    every feature of every text in Python, which was the largest cost of a
    100,000-idea report. Other vectorisers go to ``vec.transform``.
    """
    if vec.analyzer == "char_wb" and vec.preprocessor is normalise_text:
        low, high = vec.ngram_range

        def pieces(text: str) -> list[str]:
            return normalise_text(text).split()

        def cut(piece: str) -> list[str]:
            return _char_wb_ngrams(piece, low, high)

    elif vec.analyzer is word_tokens:

        def pieces(text: str) -> list[str]:
            return _TOKEN_RE.findall(normalise_text(text))

        cut = _word_features
    else:
        return vec.transform(texts)
    vocabulary = vec.vocabulary_
    piece_ids: dict[str, int] = {}
    indices: list[int] = []
    indptr = [0]
    for text in texts:
        indices.extend(piece_ids.setdefault(p, len(piece_ids)) for p in pieces(text))
        indptr.append(len(indices))
    texts_pieces = sp.csr_matrix(
        (np.ones(len(indices), np.float32), indices, indptr),
        shape=(len(texts), len(piece_ids)),
    )
    feature_indices: list[int] = []
    feature_indptr = [0]
    for piece in piece_ids:  # in id order
        for feature in cut(piece):
            j = vocabulary.get(feature)
            if j is not None:
                feature_indices.append(j)
        feature_indptr.append(len(feature_indices))
    pieces_features = sp.csr_matrix(
        (np.ones(len(feature_indices), np.float32), feature_indices, feature_indptr),
        shape=(len(piece_ids), len(vocabulary)),
    )
    counts = sp.csr_matrix(texts_pieces @ pieces_features, dtype=np.float32)
    counts.sum_duplicates()
    counts.eliminate_zeros()
    # As TfidfTransformer does: sublinear tf, idf, then L2 rows.
    if vec.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    counts.data *= vec.idf_[counts.indices].astype(np.float32)
    return normalize(counts, copy=False)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Compressed npz of plain arrays; loads with ``allow_pickle=False``."""
    buf = io.BytesIO()
    # cast: numpy's stub reads ** keys as its own bool options.
    np.savez_compressed(buf, **cast(dict[str, Any], arrays))
    return buf.getvalue()


@runtime_checkable
class Vectoriser(Protocol):
    """What the pipeline needs from a text encoder.

    Any backend works if it maps texts to an ``(n, dim)`` float array whose rows
    are L2-normalised (zero rows allowed for empty texts) and can encode new
    texts after fitting. A sentence-embedding backend would implement
    ``fit_transform`` as "encode" (nothing to fit), ``transform`` as "encode",
    and ``dim`` as the model width; it must load its weights from local disk
    given by the deployment, never download them at run time. Serialisation is
    up to the backend (``LsaVectoriser`` offers ``to_bytes``/``from_bytes``).
    """

    @property
    def dim(self) -> int: ...

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray: ...

    def transform(self, texts: Sequence[str]) -> np.ndarray: ...


class LsaVectoriser:
    """Char n-gram + word TF-IDF, combined, reduced by LSA, L2-normalised.

    Tiny corpora are handled without exceptions: no documents or no usable
    token gives 1-dimensional zero vectors; with fewer documents than
    ``n_components + 1`` the SVD is capped to ``n_docs - 1`` components (and
    to ``max(20, n_docs // 5)`` unless ``adaptive_dims=False``, as small
    corpora cluster better with fewer), and
    below two components the normalised TF-IDF itself is returned.

    Above ``fit_sample`` texts (``None``: never) the TF-IDF vocabularies, their
    document frequencies and the SVD come from a seeded random sample of that
    many texts; every text is then transformed with them.
    """

    def __init__(
        self,
        n_components: int = 100,
        char_ngrams: tuple[int, int] = (3, 5),
        char_weight: float = 1.0,
        word_weight: float = 1.0,
        max_char_features: int = 60_000,
        max_word_features: int = 40_000,
        seed: int = 0,
        adaptive_dims: bool = True,
        fit_sample: int | None = FIT_SAMPLE,
    ) -> None:
        self.n_components = n_components
        self.adaptive_dims = adaptive_dims
        self.fit_sample = fit_sample
        self.char_ngrams = char_ngrams
        self.char_weight = char_weight
        self.word_weight = word_weight
        self.max_char_features = max_char_features
        self.max_word_features = max_word_features
        self.seed = seed
        self._char: TfidfVectorizer | None = None
        self._word: TfidfVectorizer | None = None
        self._components: np.ndarray | None = None  # (dim, n_features) or None
        self._dim = 1
        self._fitted = False

    # -- fitting -----------------------------------------------------------
    def _char_vectoriser(self, n_docs: int) -> TfidfVectorizer:
        # min_df=2 drops typos and one-off n-grams, but would empty the
        # vocabulary of a tiny corpus; so only on corpora of some size.
        big = n_docs >= 50
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngrams,
            preprocessor=normalise_text,
            sublinear_tf=True,
            min_df=2 if big else 1,
            max_df=0.95 if big else 1.0,
            max_features=self.max_char_features,
            dtype=np.float32,
        )

    def _word_vectoriser(self, n_docs: int) -> TfidfVectorizer:
        big = n_docs >= 50
        return TfidfVectorizer(
            analyzer=word_tokens,
            sublinear_tf=True,
            min_df=2 if big else 1,
            max_df=0.95 if big else 1.0,
            max_features=self.max_word_features,
            dtype=np.float32,
        )

    def fit_transform_with_features(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, sp.csr_matrix]:
        """Fit, and return both the dense vectors and the sparse TF-IDF rows.

        The sparse rows (L2-normalised) give exact lexical cosines, which the
        duplicate finder uses to confirm candidates found on dense vectors.
        """
        texts = [t or "" for t in texts]
        n = len(texts)
        self._char = self._word = None
        # The sample's rows first, the others after; put back in place at the end.
        order = np.arange(n)
        n_fit = n
        if self.fit_sample is not None and n > self.fit_sample:
            n_fit = self.fit_sample
            picked = np.random.default_rng(self.seed).choice(n, n_fit, replace=False)
            rest = np.ones(n, dtype=bool)
            rest[picked] = False
            order = np.concatenate([np.sort(picked), np.flatnonzero(rest)])
            texts = [texts[i] for i in order]
        blocks: list[sp.csr_matrix] = []
        for attr, make, weight in (
            ("_char", self._char_vectoriser, self.char_weight),
            ("_word", self._word_vectoriser, self.word_weight),
        ):
            if weight <= 0 or n == 0:
                continue
            vec = make(n_fit)
            try:
                block = vec.fit_transform(texts[:n_fit])
            except ValueError:  # empty vocabulary: only stopwords/empty texts
                continue
            if n_fit < n:
                rest = fast_tfidf(vec, texts[n_fit:])
                block = sp.vstack([block, rest], format="csr")
            setattr(self, attr, vec)
            blocks.append(block * weight)
        self._fitted = True
        if not blocks:
            self._components = None
            self._dim = 1
            return np.zeros((n, 1), dtype=np.float32), sp.csr_matrix((n, 1))
        features = normalize(sp.hstack(blocks, format="csr"))
        # Small corpora cluster better with fewer latent dimensions (measured on
        # petitions: 160 texts score far higher with ~30 than with 100).
        # Retrieval wants the detail, so ``adaptive_dims=False`` keeps them all.
        target = self.n_components
        if self.adaptive_dims:
            target = min(target, max(20, n // 5))
        n_comp = min(target, n - 1, features.shape[1] - 1)
        if n_comp >= 2:
            svd = TruncatedSVD(n_components=n_comp, random_state=self.seed)
            with warnings.catch_warnings():
                # Identical texts give zero total variance: harmless here.
                warnings.simplefilter("ignore", RuntimeWarning)
                if n_fit == n:
                    dense = svd.fit_transform(features)
                else:
                    svd.fit(features[:n_fit])
            self._components = svd.components_.astype(np.float32)
            if n_fit < n:
                dense = np.asarray(features @ self._components.T)
        else:
            self._components = None
            dense = features.toarray()
        if n_fit < n:
            back = np.empty(n, dtype=np.int64)
            back[order] = np.arange(n)
            dense, features = dense[back], features[back]
        self._dim = dense.shape[1]
        return normalize(dense).astype(np.float32), features

    def fit_transform(self, texts: Sequence[str]) -> np.ndarray:
        return self.fit_transform_with_features(texts)[0]

    # -- transforming ------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    def sparse_features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows of new texts in the fitted vocabulary."""
        if not self._fitted:
            raise RuntimeError("LsaVectoriser is not fitted")
        texts = [t or "" for t in texts]
        blocks = [
            fast_tfidf(vec, texts) * weight
            for vec, weight in (
                (self._char, self.char_weight),
                (self._word, self.word_weight),
            )
            if vec is not None
        ]
        if not blocks:
            return sp.csr_matrix((len(texts), 1), dtype=np.float32)
        return normalize(sp.hstack(blocks, format="csr"))

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        features = self.sparse_features(texts)
        if self._char is None and self._word is None:
            return np.zeros((len(texts), 1), dtype=np.float32)
        if self._components is None:
            dense = features.toarray()
        else:
            dense = np.asarray(features @ self._components.T)
        return normalize(dense).astype(np.float32)

    # -- serialisation -----------------------------------------------------
    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Plain arrays (no pickle) holding the whole fitted state."""
        config = {
            "n_components": self.n_components,
            "char_ngrams": list(self.char_ngrams),
            "char_weight": self.char_weight,
            "word_weight": self.word_weight,
            "max_char_features": self.max_char_features,
            "max_word_features": self.max_word_features,
            "seed": self.seed,
            "adaptive_dims": self.adaptive_dims,
            "fit_sample": self.fit_sample,
            "dim": self._dim,
            "fitted": self._fitted,
            "has_char": self._char is not None,
            "has_word": self._word is not None,
            "has_components": self._components is not None,
            "char_min_df": self._char.min_df if self._char is not None else 1,
        }
        arrays: dict[str, np.ndarray] = {
            prefix + "config": np.frombuffer(json.dumps(config).encode(), np.uint8)
        }
        for name, vec in (("char", self._char), ("word", self._word)):
            if vec is None:
                continue
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
            # Fixed-width unicode arrays load without allow_pickle.
            arrays[f"{prefix}{name}_terms"] = np.array(terms, dtype=str)
            arrays[f"{prefix}{name}_idf"] = vec.idf_.astype(np.float64)
        if self._components is not None:
            arrays[prefix + "components"] = self._components
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], prefix: str = ""
    ) -> LsaVectoriser:
        config = json.loads(bytes(arrays[prefix + "config"]).decode())
        self = cls(
            n_components=config["n_components"],
            char_ngrams=tuple(config["char_ngrams"]),
            char_weight=config["char_weight"],
            word_weight=config["word_weight"],
            max_char_features=config["max_char_features"],
            max_word_features=config["max_word_features"],
            seed=config["seed"],
            adaptive_dims=config.get("adaptive_dims", True),
            fit_sample=config.get("fit_sample", FIT_SAMPLE),
        )
        self._dim = config["dim"]
        self._fitted = config["fitted"]
        for name, make in (
            ("char", self._char_vectoriser),
            ("word", self._word_vectoriser),
        ):
            if not config[f"has_{name}"]:
                continue
            terms = [str(t) for t in arrays[f"{prefix}{name}_terms"]]
            vec = make(0)
            vec.set_params(
                vocabulary={t: i for i, t in enumerate(terms)},
                min_df=1,
                max_df=1.0,
                max_features=None,
            )
            vec.idf_ = arrays[f"{prefix}{name}_idf"]
            setattr(self, f"_{name}", vec)
        if config["has_components"]:
            self._components = np.asarray(arrays[prefix + "components"], np.float32)
        return self

    def to_bytes(self) -> bytes:
        return npz_bytes(self.to_arrays())

    @classmethod
    def from_bytes(cls, data: bytes) -> LsaVectoriser:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return cls.from_arrays({k: npz[k] for k in npz.files})
