"""Evaluate the insights pipeline on real data and at scale; prints JSON lines.

Usage: ``python bench/bench_insights.py [--data ../shared/data] [--quick]
[--only opinions]``.
Scenarios: topic clusters vs UK petition departments (with a plain baseline run
here), clustering sanity on Chinese vTaiwan comments, opinion groups vs Pol.is
group ids, and (unless ``--quick``) full analyses, assignment and similar-ideas
queries on 10,000 and 100,000 synthetic ideas built from real sentences, each
size in a subprocess to measure its peak memory. Examples of labels and summary
lines go to stderr for a human reader.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import resource
import statistics
import subprocess  # noqa: S404 - runs this same script as a worker
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (
    adjusted_rand_score,
    normalized_mutual_info_score,
    silhouette_score,
)
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insights.pipeline import (  # noqa: E402 - needs the path above
    Document,
    SentenceEncoder,
    analyse_texts,
    backend_name,
    comments_to_documents,
    last_votes,
    load_encoder,
    opinion_groups,
    read_comments,
    read_last_votes,
    read_participants_votes,
    read_votes,
    votes_to_matrix,
)
from insights.pipeline.opinions import rerun_on_draws  # noqa: E402
from insights.pipeline.vectorise import _CJK_RE  # noqa: E402

CONVERSATIONS = [
    "bg2050-volunteers",
    "scoop-hivemind.affordable-housing",
    "vtaiwan.uberx",
]
SEEDS = (0, 1)
# Joins a synthetic idea's sentences so that they can be found again.
SEP = " \u2029"


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def load_petitions(data: Path) -> tuple[list[Document], list[str]]:
    path = data / "labelled" / "uk-petitions" / "petitions.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [Document(id=r["id"], text=r["text"]) for r in rows], [
        r["label"] for r in rows
    ]


def show_examples(name: str, result: Any, n: int = 4) -> None:
    note(f"--- {name}: {len(result.clusters)} clusters")
    for c in result.clusters[:n]:
        note(f"  [{c.id}] size {c.size}: {c.label}")
        for line in c.summary[:2]:
            note(f"      - {line.text[:160]}  ({len(line.idea_ids)} ideas)")


def strong_baseline(texts: list[str], k: int, seed: int) -> np.ndarray:
    """Character 3-5-gram TF-IDF + LSA-100 + k-means: the issue's strong baseline."""
    x = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
    ).fit_transform(texts)
    dense = normalize(TruncatedSVD(100, random_state=seed).fit_transform(x))
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(dense)


def scores(labels: list[str], pred: Any) -> tuple[float, float]:
    return (
        float(normalized_mutual_info_score(labels, pred)),
        float(adjusted_rand_score(labels, pred)),
    )


def scenario_embedders(data: Path, sample: int = 200) -> np.ndarray | None:
    """The chosen encoder on the labelled set: cost per idea and its vectors."""
    encoder = load_encoder()
    docs, _ = load_petitions(data)
    if encoder is None:
        emit({"scenario": "embedding_cost", "backend": backend_name()})
        return None
    texts = [d.text for d in docs]
    t = time.perf_counter()
    vectors = SentenceEncoder(threads=1).encode(texts)
    secs = time.perf_counter() - t
    emit(
        {
            "scenario": "embedding_cost",
            "backend": encoder.name,
            "n_texts": len(texts),
            "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
            "ms_per_idea": round(1000 * secs / len(texts), 1),
            "peak_rss_mib_so_far": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            ),
        }
    )
    return vectors


def scenario_petitions(data: Path, embeddings: np.ndarray | None) -> None:
    """NMI/ARI at the true k and at automatic k, beside the strong baseline."""
    docs, labels = load_petitions(data)
    texts = [d.text for d in docs]
    true_k = len(set(labels))
    rows: dict[str, list[Any]] = {
        "baseline_true_k": [],
        "pipeline_true_k": [],
        "pipeline_auto_k": [],
        "baseline_at_auto_k": [],
        "pipeline_lsa_only_true_k": [],
    }
    ks, secs = [], {"true_k": [], "auto_k": []}
    last = None
    for seed in SEEDS:
        rows["baseline_true_k"].append(
            scores(labels, strong_baseline(texts, true_k, seed))
        )
        t = time.perf_counter()
        fixed = analyse_texts(
            docs, n_clusters=true_k, seed=seed, embeddings=embeddings, encoder=None
        )
        secs["true_k"].append(time.perf_counter() - t)
        rows["pipeline_true_k"].append(
            scores(labels, [fixed.assignments[d.id] for d in docs])
        )
        t = time.perf_counter()
        auto = analyse_texts(docs, seed=seed, embeddings=embeddings, encoder=None)
        secs["auto_k"].append(time.perf_counter() - t)
        k = len(auto.clusters)
        ks.append(k)
        rows["pipeline_auto_k"].append(
            scores(labels, [auto.assignments[d.id] for d in docs])
        )
        rows["baseline_at_auto_k"].append(
            scores(labels, strong_baseline(texts, k, seed))
        )
        lsa = analyse_texts(docs, n_clusters=true_k, seed=seed, encoder=None)
        rows["pipeline_lsa_only_true_k"].append(
            scores(labels, [lsa.assignments[d.id] for d in docs])
        )
        last = auto
    mean = {
        name: (float(np.mean([r[0] for r in v])), float(np.mean([r[1] for r in v])))
        for name, v in rows.items()
    }
    emit(
        {
            "scenario": "petitions_topics_vs_strong_baseline",
            "n_docs": len(docs),
            "true_k": true_k,
            "seeds": list(SEEDS),
            "backend": last.backend if last else "",
            **{f"{n}_nmi": round(v[0], 4) for n, v in mean.items()},
            **{f"{n}_ari": round(v[1], 4) for n, v in mean.items()},
            "nmi_ratio_true_k": round(
                mean["pipeline_true_k"][0] / mean["baseline_true_k"][0], 3
            ),
            "nmi_ratio_lsa_only_true_k": round(
                mean["pipeline_lsa_only_true_k"][0] / mean["baseline_true_k"][0], 3
            ),
            "nmi_ratio_auto_k_vs_baseline_same_k": round(
                mean["pipeline_auto_k"][0] / mean["baseline_at_auto_k"][0], 3
            ),
            "k_auto": ks,
            "k_auto_error_vs_true": [round(k / true_k - 1, 3) for k in ks],
            "modularity_last": {
                str(k): v for k, v in (last.k_scores if last else {}).items()
            },
            "seconds_median_true_k": round(statistics.median(secs["true_k"]), 2),
            "seconds_median_auto_k": round(statistics.median(secs["auto_k"]), 2),
        }
    )
    if last is not None:
        show_examples("UK petitions (auto k)", last)


def scenario_polis_texts(data: Path) -> None:
    for conv in ("vtaiwan.uberx", "bg2050-volunteers"):
        comments = read_comments(data / "polis" / conv / "comments.csv")
        docs = comments_to_documents(comments)
        t = time.perf_counter()
        result = analyse_texts(docs, seed=0)
        secs = time.perf_counter() - t
        vectors = result.model.vectoriser.transform([d.text for d in docs])
        pred = [result.assignments[d.id] for d in docs]
        sil = (
            float(silhouette_score(vectors, pred, metric="cosine"))
            if len(set(pred)) > 1
            else None
        )
        keywords = [k for c in result.clusters for k in c.keywords]
        cjk = [k for k in keywords if _CJK_RE.match(k)]
        record: dict[str, Any] = {
            "scenario": f"text_clusters_{conv}",
            "n_docs": len(docs),
            "k": len(result.clusters),
            "silhouette_cosine": round(sil, 4) if sil is not None else None,
            "sizes": [c.size for c in result.clusters],
            "few_voices_clusters": sum(c.stats.few_voices for c in result.clusters),
            "seconds": round(secs, 2),
            "labels": [c.label for c in result.clusters],
        }
        if conv.startswith("vtaiwan"):
            record["cjk_keyword_share"] = round(len(cjk) / max(len(keywords), 1), 3)
            record["cjk_keywords_sample"] = cjk[:12]
            # Every CJK keyword must be a real run of the texts, not a made-up join.
            joined = "\n".join(re.sub(r"\s+", "", d.text) for d in docs)
            record["cjk_keywords_found_in_texts"] = round(
                sum(k in joined for k in cjk) / max(len(cjk), 1), 3
            )
        emit(record)
        show_examples(conv, result)


def _first_distinct(points: np.ndarray, k: int) -> np.ndarray:
    # polismath clusters/init-clusters: the first k distinct rows, in row order.
    _, first = np.unique(points, axis=0, return_index=True)
    return points[np.sort(first)[:k]]


def polis_reimplemented(points: np.ndarray) -> np.ndarray:
    """Pol.is's clustering as polismath runs it from scratch, on our points.

    100 base clusters by k-means seeded with the first 100 distinct points in
    row order, then k-means of the base-cluster centres weighted by their
    sizes (k from 2 to min(5, 2 + bases / 12), seeded the same way), k with the
    best silhouette of the centres. Pol.is then carries its clusters and k
    from run to run; from scratch the row order decides the seeds.
    """
    n_base = min(100, len(np.unique(points, axis=0)))
    base = KMeans(
        n_base, init=_first_distinct(points, n_base), n_init=1, max_iter=100
    ).fit(points)
    weights = np.bincount(base.labels_, minlength=n_base)
    centres = base.cluster_centers_
    best: tuple[float, np.ndarray] | None = None
    for k in range(2, min(5, 2 + n_base // 12) + 1):
        group = KMeans(k, init=_first_distinct(centres, k), n_init=1, max_iter=100).fit(
            centres, sample_weight=weights
        )
        if len(set(group.labels_.tolist())) < 2:
            continue
        score = float(silhouette_score(centres, group.labels_))
        if best is None or score > best[0]:
            best = (score, group.labels_[base.labels_])
    return best[1] if best is not None else np.zeros(len(points), dtype=int)


def polis_shortfall(
    result: Any, ref: dict[str, str], n_votes: dict[str, int], orders: int = 10
) -> dict[str, Any]:
    """Why a conversation falls short of Pol.is's own groups, in figures."""
    pids = list(result.coordinates)
    points = np.array([result.coordinates[p] for p in pids])
    placed = [i for i, p in enumerate(pids) if p in ref]

    def ari_of(labels: np.ndarray) -> float:
        return round(
            float(
                adjusted_rand_score(
                    [ref[pids[i]] for i in placed], [labels[i] for i in placed]
                )
            ),
            4,
        )

    in_file_order = polis_reimplemented(points)
    rng = np.random.default_rng(0)
    shuffled = []
    for _ in range(orders):
        order = rng.permutation(len(points))
        labels = np.empty(len(points), dtype=int)
        labels[order] = polis_reimplemented(points[order])
        shuffled.append((ari_of(labels), len(set(labels.tolist()))))
    few = [p for p in ref if n_votes.get(p, 0) < result.min_votes]
    # Are Pol.is's groups a k-means optimum on these points at all? k-means
    # started from their centres: ARI 1 if they stay put. And the sums of
    # squares (placed participants) of Pol.is's groups and of ours.
    codes = {g: i for i, g in enumerate(sorted({ref[pids[i]] for i in placed}))}
    theirs = np.array([codes[ref[pids[i]]] for i in placed])
    ours = np.array([result.assignments[pids[i]] for i in placed])
    at = points[placed]
    centres = np.stack([at[theirs == g].mean(axis=0) for g in range(len(codes))])
    moved = KMeans(len(codes), init=centres, n_init=1).fit(at).labels_

    def sse(labels: np.ndarray) -> float:
        return round(
            float(
                sum(
                    ((at[labels == g] - at[labels == g].mean(axis=0)) ** 2).sum()
                    for g in set(labels.tolist())
                )
            ),
            1,
        )

    return {
        "polis_groups_kept_by_kmeans_from_their_centres_ari": round(
            float(adjusted_rand_score(theirs, moved)), 4
        ),
        "sum_of_squares_polis_groups": sse(theirs),
        "sum_of_squares_our_groups": sse(ours),
        "polis_grouped": len(ref),
        "polis_grouped_share_below_min_votes": round(len(few) / len(ref), 4),
        "polis_reimplemented_ari_file_order": ari_of(in_file_order),
        "polis_reimplemented_k_file_order": len(set(in_file_order.tolist())),
        "polis_reimplemented_ari_10_row_orders": sorted(a for a, _ in shuffled),
        "polis_reimplemented_k_10_row_orders": [k for _, k in shuffled],
    }


def _agreement(a: Any, b: Any) -> float:
    both = [p for p in a.assignments if p in b.assignments]
    return float(
        adjusted_rand_score(
            [a.assignments[p] for p in both], [b.assignments[p] for p in both]
        )
    )


def _sum_of_squares(result: Any) -> float:
    pids = list(result.coordinates)
    points = np.array([result.coordinates[p] for p in pids])
    labels = np.array([result.assignments[p] for p in pids])
    return float(
        sum(
            ((points[labels == g] - points[labels == g].mean(0)) ** 2).sum()
            for g in set(labels.tolist())
        )
    )


def runs_as_votes_arrive(
    folder: Path, comment_ids: list[str], excluded: set[str], steps: int = 9
) -> dict[str, Any]:
    """The report re-run as the votes arrived: the vote log by time, cut at 60 %
    to 100 % of the votes, each run cold and each started from the run before
    (warm). Per conversation: agreement (ARI) of each run with the one before,
    how much more the kept warm split's sum of squares was than the cold one's
    (what WARM_TOLERANCE must allow), and the last run against the cold one."""
    log = sorted(read_votes(folder / "votes.csv"), key=lambda v: v.timestamp or 0)
    cold_runs, warm_runs, ratios = [], [], []
    for share in np.linspace(0.6, 1.0, steps):
        matrix = votes_to_matrix(
            last_votes(log[: int(share * len(log))]), comment_ids=comment_ids
        )
        cold = opinion_groups(matrix, exclude_comments=excluded)
        warm = opinion_groups(
            matrix,
            exclude_comments=excluded,
            previous=warm_runs[-1].assignments if warm_runs else None,
        )
        if warm.warm_start:
            ratios.append(_sum_of_squares(warm) / _sum_of_squares(cold))
        cold_runs.append(cold)
        warm_runs.append(warm)
    cold_next = [_agreement(a, b) for a, b in itertools.pairwise(cold_runs)]
    warm_next = [_agreement(a, b) for a, b in itertools.pairwise(warm_runs)]
    return {
        "arrival_k_cold": [len(r.groups) for r in cold_runs],
        "arrival_k_warm": [len(r.groups) for r in warm_runs],
        "arrival_ari_with_run_before_cold_mean": round(float(np.mean(cold_next)), 3),
        "arrival_ari_with_run_before_cold_min": round(float(np.min(cold_next)), 3),
        "arrival_ari_with_run_before_warm_mean": round(float(np.mean(warm_next)), 3),
        "arrival_ari_with_run_before_warm_min": round(float(np.min(warm_next)), 3),
        "arrival_warm_kept": sum(r.warm_start for r in warm_runs),
        "arrival_warm_sum_of_squares_over_cold_max": round(max(ratios, default=1.0), 4),
        "arrival_last_run_warm_vs_cold_ari": round(
            _agreement(warm_runs[-1], cold_runs[-1]), 3
        ),
    }


def scenario_opinions(data: Path) -> None:
    for conv in CONVERSATIONS:
        folder = data / "polis" / conv
        t = time.perf_counter()
        comments = read_comments(folder / "comments.csv")
        matrix = votes_to_matrix(
            read_last_votes(folder / "votes.csv"),
            comment_ids=[c.comment_id for c in comments],
        )
        excluded = {c.comment_id for c in comments if c.moderated < 0}
        t_pipeline = time.perf_counter()
        result = opinion_groups(matrix, seed=0, exclude_comments=excluded)
        secs = time.perf_counter() - t
        secs_pipeline = time.perf_counter() - t_pipeline
        ref = {
            p: g
            for p, g in read_participants_votes(
                folder / "participants-votes.csv"
            ).group_ids.items()
            if g is not None
        }
        common = [p for p in ref if p in result.assignments]
        ari = adjusted_rand_score(
            [ref[p] for p in common], [result.assignments[p] for p in common]
        )
        pv = read_participants_votes(folder / "participants-votes.csv")
        few = [p for p in ref if pv.n_votes.get(p, 0) < result.min_votes]
        t_cold = time.perf_counter()
        stability, draw_ks = rerun_on_draws(
            matrix, result, draws=10, exclude_comments=excluded
        )
        secs_cold = (time.perf_counter() - t_cold) / 10
        # The same 10 draws, each started from the full run's groups: yesterday's
        # report -> today's with a few participants changed.
        t_warm = time.perf_counter()
        warm, warm_ks = rerun_on_draws(
            matrix, result, draws=10, exclude_comments=excluded, warm=True
        )
        secs_warm = (time.perf_counter() - t_warm) / 10
        record: dict[str, Any] = runs_as_votes_arrive(
            folder, [c.comment_id for c in comments], excluded
        )
        if ari < 0.85:
            record["shortfall"] = polis_shortfall(result, ref, pv.n_votes)
        emit(
            {
                "scenario": f"opinion_groups_{conv}",
                "participants_in_matrix": len(matrix.participant_ids),
                "participants_grouped_by_polis": len(ref),
                "polis_grouped_with_fewer_than_min_votes": len(few),
                "compared": len(common),
                "k": len(result.groups),
                "k_polis": len(set(ref.values())),
                "sizes": [g.size for g in result.groups],
                "polis_sizes_on_compared": sorted(
                    Counter(ref[p] for p in common).values(), reverse=True
                ),
                # On the participants the method places (Pol.is's in-conversation
                # rule); Pol.is's export also grouped some with fewer votes.
                "ari_vs_polis_group_id_on_placed": round(float(ari), 4),
                "stability_ari_95pct_mean_of_10": round(float(np.mean(stability)), 4),
                "stability_ari_95pct_min": round(float(np.min(stability)), 4),
                "k_on_95pct_draws": draw_ks,
                "stability_warm_ari_95pct_mean_of_10": round(float(np.mean(warm)), 4),
                "stability_warm_ari_95pct_min": round(float(np.min(warm)), 4),
                "k_on_95pct_draws_warm": warm_ks,
                "stability_inside_pipeline": result.stability,
                "consensus": list(result.consensus[:3]),
                "divisive": list(result.divisive[:3]),
                "seconds": round(secs, 2),
                "seconds_opinion_groups": round(secs_pipeline, 2),
                "seconds_per_draw_cold": round(secs_cold, 2),
                "seconds_per_draw_warm": round(secs_warm, 2),
                **record,
            }
        )
        texts = {c.comment_id: c.text for c in comments}
        note(f"--- {conv} opinions")
        for g in result.groups:
            rep = g.representative[0] if g.representative else None
            if rep:
                said = texts[rep.comment_id][:120]
                note(f"  group {g.id} ({g.size}) {rep.direction}s: {said}")
        if result.consensus:
            note(f"  consensus: {texts[result.consensus[0]][:120]}")


# -- scale ---------------------------------------------------------------
def synthetic_ideas(data: Path, n: int, seed: int = 0) -> list[Document]:
    """Ideas made of 1-3 real sentences: mostly from one source text, sometimes
    one from another, so vocabulary and topic mix are realistic."""
    sentences = sentence_pool(data)
    flat = [s for group in sentences for s in group]
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        group = sentences[rng.integers(len(sentences))]
        take = int(rng.integers(1, min(3, len(group)) + 1))
        parts = [group[j] for j in sorted(rng.choice(len(group), take, replace=False))]
        if rng.random() < 0.3:
            parts.append(flat[rng.integers(len(flat))])
        out.append(
            Document(
                id=f"s{i}",
                text=SEP.join(parts),
                author_id=f"a{int(rng.integers(n // 3 + 1))}",
                supports=int(rng.poisson(2)),
            )
        )
    return out


def sentence_pool(data: Path) -> list[list[str]]:
    """The sentences of every real source text, grouped by text."""
    docs, _ = load_petitions(data)
    sources = [d.text for d in docs]
    for conv in CONVERSATIONS:
        sources += [
            c.text for c in read_comments(data / "polis" / conv / "comments.csv")
        ]
    split = re.compile(r"(?<=[.!?。！？])\s*|\n+")
    sentences = [
        [s.strip() for s in split.split(text) if 15 <= len(s.strip()) <= 300]
        for text in sources
    ]
    return [s for s in sentences if s]


def sentence_vectors(data: Path) -> dict[str, np.ndarray]:
    """Embeddings of every distinct source sentence of :func:`synthetic_ideas`.

    A synthetic idea's stored vector is the normalised mean of its sentences'
    vectors (USE is a deep averaging network, so this is close to embedding the
    idea itself); computed once here, it stands for the vectors the site stores
    as ideas are written. Cached beside the bench's other temporary files.
    """
    cache = ROOT / "var" / "bench-insights-sentences.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as npz:
            return dict(zip(npz["texts"].tolist(), npz["vectors"], strict=True))
    sentences = sorted({s for group in sentence_pool(data) for s in group})
    cache.parent.mkdir(parents=True, exist_ok=True)
    encoder = SentenceEncoder(threads=1)
    vectors = encoder.encode(sentences)
    np.savez(cache, texts=np.array(sentences, dtype=str), vectors=vectors)
    return dict(zip(sentences, vectors, strict=True))


def _parts(text: str) -> list[str]:
    return text.split(SEP)


def scale_worker(data: Path, n: int, mode: str) -> dict[str, Any]:
    raw = synthetic_ideas(data, n)
    stored = None
    embed_secs = 0.0
    if mode in ("stored", "scratch"):
        table = sentence_vectors(data)
        stored = normalize(
            np.vstack(
                [np.mean([table[p] for p in _parts(d.text)], axis=0) for d in raw]
            )
        ).astype(np.float32)
    docs = [
        Document(
            id=d.id,
            text=d.text.replace(SEP, " "),
            author_id=d.author_id,
            supports=d.supports,
        )
        for d in raw
    ]
    if mode == "scratch":
        # Embedding every idea from scratch: measured on 500 ideas, extrapolated.
        t = time.perf_counter()
        SentenceEncoder(threads=1).encode([d.text for d in docs[:500]])
        embed_secs = (time.perf_counter() - t) * n / 500
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    result = analyse_texts(docs, seed=0, embeddings=stored, encoder=None)
    analyse_secs = time.perf_counter() - t
    rss_after_analyse = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record: dict[str, Any] = {
        "scenario": f"scale_{n}_{mode}",
        "n_docs": n,
        "report_seconds": round(analyse_secs + embed_secs, 1),
        "analyse_seconds": round(analyse_secs, 1),
        "stage_seconds": result.timings,
        "backend": result.backend,
        "k_auto": len(result.clusters),
        "duplicate_pairs": len(result.duplicates),
        "peak_rss_mib_before_analyse": round(rss_before, 1),
        "peak_rss_mib_after_analyse": round(rss_after_analyse, 1),
    }
    if mode == "scratch":
        record["embedding_seconds_extrapolated_from_500"] = round(embed_secs, 1)
    if mode == "lsa":
        rng = np.random.default_rng(1)
        probes = [docs[int(i)].text[:160] + " please" for i in rng.integers(0, n, 200)]
        times = []
        for text in probes:
            t = time.perf_counter()
            result.model.assign(text)
            times.append((time.perf_counter() - t) * 1000)
        record["assign_ms_median"] = round(statistics.median(times), 2)
    return record


def scenario_scale(data: Path, sizes: list[int], modes: list[str]) -> None:
    for n, mode in [(n, m) for n in sizes for m in modes]:
        t = time.perf_counter()
        proc = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [
                sys.executable,
                __file__,
                "--data",
                str(data),
                "--scale-worker",
                str(n),
                "--mode",
                mode,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            emit({"scenario": f"scale_{n}_{mode}", "error": proc.stderr[-2000:]})
            continue
        record = json.loads(proc.stdout.strip().splitlines()[-1])
        record["wall_seconds_subprocess"] = round(time.perf_counter() - t, 1)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        record["peak_rss_mib_children_so_far"] = round(children, 1)
        emit(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "data",
        help="the shared data folder (beside the repository on our machines)",
    )
    parser.add_argument(
        "--db", default="", help="ignored: the pipeline has no database"
    )
    parser.add_argument("--quick", action="store_true", help="quality scenarios only")
    parser.add_argument(
        "--only",
        choices=("petitions", "polis_texts", "opinions", "scale"),
        help="run just this scenario",
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--modes",
        default="stored,scratch",
        help="scale runs: stored (vectors already stored), scratch (embedding "
        "extrapolated from 500 ideas), lsa (character LSA only)",
    )
    parser.add_argument("--scale-worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="stored", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_worker:
        print(json.dumps(scale_worker(args.data, args.scale_worker, args.mode)))
        return
    emit(
        {
            "scenario": "machine",
            "python": sys.version.split()[0],
            "cpus": len(__import__("os").sched_getaffinity(0)),
            "quick": args.quick,
        }
    )
    if args.only == "opinions":
        scenario_opinions(args.data)
        return
    if args.only == "polis_texts":
        scenario_polis_texts(args.data)
        return
    if args.only in (None, "petitions"):
        scenario_petitions(args.data, scenario_embedders(args.data))
    if args.only is None:
        scenario_polis_texts(args.data)
        scenario_opinions(args.data)
    if args.only == "scale" or (args.only is None and not args.quick):
        scenario_scale(
            args.data,
            [int(s) for s in args.sizes.split(",") if s],
            [m for m in args.modes.split(",") if m],
        )


if __name__ == "__main__":
    main()
