"""Keywords and short readable labels for clusters by class-based TF-IDF.

c-TF-IDF (as in BERTopic): all texts of a cluster form one "class document";
weight = tf(t, c) * log(1 + A / f(t)), tf L1-normalised per class, f(t) the
frequency of t over all classes and A the average number of tokens per class.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from .language import topic_tokens
from .vectorise import _CJK_RE, CJK_STOP_CHARS, normalise_text

__all__ = ["c_tf_idf", "cluster_keywords", "keyword_features", "make_label"]

# Keywords of a cluster bigger than this come from a seeded random sample of this
# many of its texts: c-TF-IDF ranks terms by their frequency in the cluster, which
# 2,000 texts estimate closely (the bench's 100,000 ideas in 15 clusters: 92.5 %
# of the top-8 keywords and 13 of the 15 three-keyword labels are those read from
# every text), and detecting the language of and tokenising every text of
# 100,000 ideas was 10 % of a report (12.4 s).
KEYWORD_SAMPLE_PER_CLUSTER = 2000


def _join(a: str, b: str) -> str:
    # Overlapping CJK bigrams "計程" + "程車" are the trigram "計程車".
    if _CJK_RE.match(a) and _CJK_RE.match(b) and a[-1] == b[0]:
        return a + b[1:]
    return f"{a} {b}"


def keyword_features(text: str) -> list[str]:
    """Candidate keywords: content words plus adjacent pairs (phrases).

    The text's language is detected and its own stopwords removed (Korean is
    split into morphemes first); pairs are only formed between words with no
    stopword between them, so "climate change" counts but "climate of change"
    does not.
    """
    features: list[str] = []
    prev: str | None = None
    for tok in topic_tokens(text):
        if tok is None:
            prev = None
            continue
        features.append(tok)
        if prev is not None:
            features.append(_join(prev, tok))
        prev = tok
    return features


def c_tf_idf(counts: sp.csr_matrix, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Class-based TF-IDF of a doc x term count matrix; returns class x term."""
    n_docs = counts.shape[0]
    member = sp.csr_matrix(
        (np.ones(n_docs), (labels, np.arange(n_docs))), shape=(n_classes, n_docs)
    )
    class_counts = np.asarray((member @ counts).todense(), dtype=np.float64)
    totals = class_counts.sum(axis=1, keepdims=True)
    tf = np.divide(
        class_counts, totals, out=np.zeros_like(class_counts), where=totals > 0
    )
    freq = class_counts.sum(axis=0)
    avg_words = class_counts.sum() / max(n_classes, 1)
    idf = np.log(1.0 + avg_words / np.maximum(freq, 1.0))
    return tf * idf


def _dedupe(ranked: Sequence[str], n: int) -> list[str]:
    chosen: list[str] = []
    for cand in ranked:
        if any(cand in c for c in chosen):
            continue  # "climate" after "climate change" adds nothing
        longer = [i for i, c in enumerate(chosen) if c in cand]
        if longer:
            chosen[longer[0]] = cand  # prefer the phrase over its part
            chosen = [c for i, c in enumerate(chosen) if i not in longer[1:]]
            continue
        chosen.append(cand)
        if len(chosen) >= n:
            break
    return chosen[:n]


def _sample_per_cluster(labels: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Sorted row indices: every member of small clusters, ``cap`` of big ones."""
    rng = np.random.default_rng(seed)
    keep = []
    for c in range(int(labels.max()) + 1):
        members = np.flatnonzero(labels == c)
        if len(members) > cap:
            members = rng.choice(members, cap, replace=False)
        keep.append(members)
    return np.sort(np.concatenate(keep))


def cluster_keywords(
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    n_keywords: int = 8,
    max_per_cluster: int | None = KEYWORD_SAMPLE_PER_CLUSTER,
    seed: int = 0,
) -> list[list[str]]:
    """Top keywords per cluster id ``0..max(labels)`` by c-TF-IDF.

    Clusters over ``max_per_cluster`` texts (``None``: no limit) are read
    from a seeded random sample of that many.

    A keyword must occur in at least two documents of its cluster (when it has
    three or more) so that one long text cannot name the whole cluster, and
    with four or more clusters a term in the top keywords of over a third of
    them is dropped as corpus-wide vocabulary.
    """
    labels_arr = np.asarray(labels, dtype=np.int64)
    n_classes = int(labels_arr.max()) + 1 if len(labels_arr) else 0
    if n_classes == 0:
        return []
    texts_list = list(texts)
    if max_per_cluster is not None and len(labels_arr) > max_per_cluster:
        rows = _sample_per_cluster(labels_arr, max_per_cluster, seed)
        if len(rows) < len(labels_arr):
            texts_list = [texts_list[i] for i in rows]
            labels_arr = labels_arr[rows]
    vec = CountVectorizer(analyzer=keyword_features, dtype=np.float64)
    try:
        counts = vec.fit_transform(texts_list).tocsr()
    except ValueError:  # no token at all: empty or stopword-only texts
        return [[] for _ in range(n_classes)]
    terms = vec.get_feature_names_out()
    scores = c_tf_idf(counts, labels_arr, n_classes)
    binary = counts.copy()
    binary.data[:] = 1.0
    member = sp.csr_matrix(
        (np.ones(len(labels_arr)), (labels_arr, np.arange(len(labels_arr)))),
        shape=(n_classes, len(labels_arr)),
    )
    doc_freq = np.asarray((member @ binary).todense())
    sizes = np.bincount(labels_arr, minlength=n_classes)
    scores[(sizes >= 3)[:, None] & (doc_freq < 2)] = 0.0
    depth = n_keywords * 4
    tops = [np.argsort(-scores[c], kind="stable")[:depth] for c in range(n_classes)]
    if n_classes >= 4:
        # Words near the top of many clusters ("government", "people") name the
        # whole corpus, not a topic: drop those ranked high in over a third.
        spread = np.zeros(scores.shape[1])
        for c, top in enumerate(tops):
            spread[top[scores[c, top] > 0][: n_keywords * 2]] += 1
        scores[:, spread > n_classes / 3] = 0.0
        tops = [np.argsort(-scores[c], kind="stable")[:depth] for c in range(n_classes)]
    out = []
    for c in range(n_classes):
        ranked = [str(terms[i]) for i in tops[c] if scores[c, i] > 0]
        if any(_CJK_RE.match(t) for t in ranked[: n_keywords * 2]):
            members = np.flatnonzero(labels_arr == c)
            corpus = normalise_text("\n".join(texts_list[i] for i in members))
            ranked = list(dict.fromkeys(_expand_cjk(t, corpus) for t in ranked))
        out.append(_dedupe(ranked, n_keywords))
    return out


def _expand_cjk(
    keyword: str, corpus: str, share: float = 0.75, max_len: int = 8
) -> str:
    """Grow a CJK fragment to the word it nearly always sits in.

    Bigrams cut words ("程車司" inside "計程車司機"); while one neighbouring
    CJK character precedes or follows ``share`` of the occurrences, extend.
    """
    if not _CJK_RE.match(keyword):
        return keyword
    while len(keyword) < max_len:
        starts = [m.start() for m in re.finditer(re.escape(keyword), corpus)]
        if len(starts) < 2:
            break
        end = len(keyword)
        sides = (
            ("left", [corpus[i - 1] for i in starts if i > 0]),
            ("right", [corpus[i + end] for i in starts if i + end < len(corpus)]),
        )
        grown = False
        for side, chars in sides:
            if not chars:
                continue
            ch, count = Counter(chars).most_common(1)[0]
            if (
                count >= share * len(starts)
                and _CJK_RE.match(ch)
                and ch not in CJK_STOP_CHARS
            ):
                keyword = ch + keyword if side == "left" else keyword + ch
                grown = True
                break
        if not grown:
            break
    return keyword


OTHER_TOPICS = "Other topics"
# A cluster this much looser than the median one is "everything else".
CATCH_ALL_RATIO = 0.8


def catch_all_clusters(
    coherence: Sequence[float], sizes: Sequence[int] | np.ndarray
) -> set[int]:
    """Clusters that gather what fits nowhere else, to be shown as "Other topics".

    With four or more clusters, the least coherent one (mean cosine of members
    to their centre) is a catch-all when its coherence is below
    ``CATCH_ALL_RATIO`` times the median of the others and it is no smaller
    than the median cluster: a large, loose bag gets no fake label.
    """
    if len(coherence) < 4:
        return set()
    loosest = int(np.argmin(coherence))
    others = [c for i, c in enumerate(coherence) if i != loosest]
    big = sizes[loosest] >= float(np.median(sizes))
    if big and coherence[loosest] < CATCH_ALL_RATIO * float(np.median(others)):
        return {loosest}
    return set()


def make_label(keywords: Sequence[str], fallback_text: str = "", n: int = 3) -> str:
    """A short label: the top ``n`` keywords, else the start of a central text."""
    if keywords:
        return ", ".join(keywords[:n])
    words = (fallback_text or "").split()
    if not words:
        return "(no text)"
    short = " ".join(words[:6])
    return short + ("…" if len(words) > 6 else "")
