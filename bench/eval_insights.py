"""Evaluate the insights pipeline on real data and at scale; prints JSON lines.

Usage: ``python bench/eval_insights.py [--data /work/shared/data] [--quick]``.
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
import json
import re
import resource
import statistics
import subprocess  # noqa: S404 - runs this same script as a worker
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import (
    adjusted_rand_score,
    normalized_mutual_info_score,
    silhouette_score,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insights.pipeline import (  # noqa: E402 - needs the path above
    Document,
    SimilarityIndex,
    analyse_texts,
    comments_to_documents,
    opinion_groups,
    read_comments,
    read_last_votes,
    read_participants_votes,
    votes_to_matrix,
)
from insights.pipeline.vectorise import _CJK_RE  # noqa: E402

CONVERSATIONS = [
    "bg2050-volunteers",
    "scoop-hivemind.affordable-housing",
    "vtaiwan.uberx",
]
SEEDS = (0, 1, 2)


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


def scenario_petitions(data: Path) -> None:
    docs, labels = load_petitions(data)
    texts = [d.text for d in docs]
    # (a) the plain baseline, computed here.
    scores, secs = [], []
    for seed in SEEDS:
        t = time.perf_counter()
        x = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=2
        ).fit_transform(texts)
        pred = KMeans(n_clusters=13, random_state=seed, n_init=1).fit_predict(x)
        secs.append(time.perf_counter() - t)
        scores.append(
            (
                normalized_mutual_info_score(labels, pred),
                adjusted_rand_score(labels, pred),
            )
        )
    emit(
        {
            "scenario": "petitions_baseline_word_tfidf_kmeans13",
            "n_docs": len(docs),
            "nmi": round(float(np.mean([s[0] for s in scores])), 4),
            "ari": round(float(np.mean([s[1] for s in scores])), 4),
            "seconds_median": round(statistics.median(secs), 2),
        }
    )
    # (b) our pipeline with k = 13 and (c) with automatic k.
    for name, k in (
        ("petitions_pipeline_k13", 13),
        ("petitions_pipeline_auto_k", None),
    ):
        scores, secs, ks = [], [], []
        last = None
        for seed in SEEDS:
            t = time.perf_counter()
            result = analyse_texts(docs, n_clusters=k, seed=seed)
            secs.append(time.perf_counter() - t)
            pred = [result.assignments[d.id] for d in docs]
            scores.append(
                (
                    normalized_mutual_info_score(labels, pred),
                    adjusted_rand_score(labels, pred),
                )
            )
            ks.append(len(result.clusters))
            last = result
        emit(
            {
                "scenario": name,
                "n_docs": len(docs),
                "nmi": round(float(np.mean([s[0] for s in scores])), 4),
                "ari": round(float(np.mean([s[1] for s in scores])), 4),
                "nmi_per_seed": [round(s[0], 4) for s in scores],
                "k": ks,
                "seconds_median": round(statistics.median(secs), 2),
                "stage_seconds_last": last.timings if last else {},
                "duplicate_pairs": len(last.duplicates) if last else 0,
            }
        )
        if last is not None and k is None:
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
        result = opinion_groups(matrix, seed=0, exclude_comments=excluded)
        secs = time.perf_counter() - t
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
        emit(
            {
                "scenario": f"opinion_groups_{conv}",
                "participants_in_matrix": len(matrix.participant_ids),
                "participants_grouped_by_polis": len(ref),
                "compared": len(common),
                "k": len(result.groups),
                "sizes": [g.size for g in result.groups],
                "ari_vs_polis_group_id": round(float(ari), 4),
                "consensus": list(result.consensus[:3]),
                "divisive": list(result.divisive[:3]),
                "seconds": round(secs, 2),
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
    sentences = [s for s in sentences if s]
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
                text=" ".join(parts),
                author_id=f"a{int(rng.integers(n // 3 + 1))}",
                supports=int(rng.poisson(2)),
            )
        )
    return out


def scale_worker(data: Path, n: int) -> dict[str, Any]:
    docs = synthetic_ideas(data, n)
    t = time.perf_counter()
    result = analyse_texts(docs, seed=0)
    analyse_secs = time.perf_counter() - t
    rss_after_analyse = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rng = np.random.default_rng(1)
    probes = [docs[int(i)].text[:160] + " please" for i in rng.integers(0, n, 200)]
    times = []
    for text in probes:
        t = time.perf_counter()
        result.model.assign(text)
        times.append((time.perf_counter() - t) * 1000)
    model_bytes = len(result.model.to_bytes())
    t = time.perf_counter()
    index = SimilarityIndex.build(docs)
    build_secs = time.perf_counter() - t
    qtimes = []
    for text in probes:
        t = time.perf_counter()
        index.query(text, k=5)
        qtimes.append((time.perf_counter() - t) * 1000)
    return {
        "scenario": f"scale_{n}",
        "n_docs": n,
        "analyse_seconds": round(analyse_secs, 1),
        "stage_seconds": result.timings,
        "k_auto": len(result.clusters),
        "duplicate_pairs": len(result.duplicates),
        "peak_rss_mib_after_analyse": round(rss_after_analyse, 1),
        "assign_ms_median": round(statistics.median(times), 2),
        "assign_ms_p95": round(float(np.percentile(times, 95)), 2),
        "model_npz_mib": round(model_bytes / 2**20, 2),
        "index_build_seconds": round(build_secs, 1),
        "query_ms_median": round(statistics.median(qtimes), 2),
        "query_ms_p95": round(float(np.percentile(qtimes, 95)), 2),
        "peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }


def scenario_scale(data: Path, sizes: list[int]) -> None:
    for n in sizes:
        t = time.perf_counter()
        proc = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [sys.executable, __file__, "--data", str(data), "--scale-worker", str(n)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            emit({"scenario": f"scale_{n}", "error": proc.stderr[-2000:]})
            continue
        record = json.loads(proc.stdout.strip().splitlines()[-1])
        record["wall_seconds_subprocess"] = round(time.perf_counter() - t, 1)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        record["peak_rss_mib_children_so_far"] = round(children, 1)
        emit(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--quick", action="store_true", help="quality scenarios only")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--scale-worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_worker:
        print(json.dumps(scale_worker(args.data, args.scale_worker)))
        return
    emit(
        {
            "scenario": "machine",
            "python": sys.version.split()[0],
            "cpus": len(__import__("os").sched_getaffinity(0)),
            "quick": args.quick,
        }
    )
    scenario_petitions(args.data)
    scenario_polis_texts(args.data)
    scenario_opinions(args.data)
    if not args.quick:
        scenario_scale(args.data, [int(s) for s in args.sizes.split(",") if s])


if __name__ == "__main__":
    main()
