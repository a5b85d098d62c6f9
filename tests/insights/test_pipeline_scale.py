"""The shortcuts that keep 100,000 ideas fast, checked on small real samples.

Each shortcut is forced on a small set (sample-fitted LSA, counting features by
piece, near-duplicates within blocks, keywords from a sample) and compared with
the exact path that small sets take.
"""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

import insights.pipeline.analyse as analyse_module
import insights.pipeline.spectral as spectral_module
from insights.pipeline import Document, LsaVectoriser, analyse_texts, find_duplicates
from insights.pipeline.duplicates import lexical_verifier
from insights.pipeline.label import cluster_keywords
from insights.pipeline.spectral import combine
from insights.pipeline.vectorise import fast_tfidf

ODD_TEXTS = [
    "",
    "   ",
    "a",
    "ab",
    "abc",
    "ＡＢＣ ｄｅｆ full-width",
    "計程車司機 很好 Uber應該合法",
    "x\u2029y  z\n\tw 2024 the of",
    "İstanbul ǅemal Привет мир 안녕하세요",
]


def _texts(petitions):
    return [t for _, t, _ in petitions]


def test_fast_tfidf_equals_scikit_learn_transform(petitions):
    texts = _texts(petitions)
    vec = LsaVectoriser()
    vec.fit_transform(texts[:100])
    new = texts[100:] + ODD_TEXTS
    for sk in (vec._char, vec._word):
        expected = sk.transform(new)
        got = fast_tfidf(sk, new)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert got.nnz == expected.nnz
        assert abs(got - expected).max() < 1e-6


def test_sample_fitted_vectoriser_keeps_rows_in_place(petitions):
    texts = _texts(petitions)
    labels = [d for _, _, d in petitions]
    full = LsaVectoriser(seed=0, fit_sample=None)
    dense_full, _ = full.fit_transform_with_features(texts)
    sampled = LsaVectoriser(seed=0, fit_sample=100)
    dense, features = sampled.fit_transform_with_features(texts)
    assert dense.shape == (len(texts), sampled.dim) == dense_full.shape
    # Row i is text i: the same as transforming the text afterwards.
    assert np.allclose(dense, sampled.transform(texts), atol=1e-4)
    assert abs(features - sampled.sparse_features(texts)).max() < 1e-6
    assert np.allclose(np.linalg.norm(dense, axis=1), 1.0, atol=1e-5)
    # Close to the full fit: topics by department about as readable.
    scores = [
        normalized_mutual_info_score(
            labels, KMeans(8, n_init=5, random_state=0).fit_predict(x)
        )
        for x in (dense_full, dense)
    ]
    assert scores[1] > 0.8 * scores[0]
    # Saved and loaded, the sample setting and the fitted state survive.
    again = LsaVectoriser.from_bytes(sampled.to_bytes())
    assert again.fit_sample == 100
    assert np.allclose(again.transform(texts[:5]), dense[:5], atol=1e-4)
    # At or under the sample size nothing changes.
    same = LsaVectoriser(seed=0, fit_sample=len(texts)).fit_transform(texts)
    assert np.array_equal(same, dense_full)


def test_blocked_duplicates_match_all_pairs(petitions):
    texts = _texts(petitions)
    ids = [i for i, _, _ in petitions]
    # Resubmissions of a few petitions, slightly changed.
    for k in (3, 40, 90):
        texts.append(texts[k].replace("the", "teh", 1) + " Thank you.")
        ids.append(f"planted-{k}")
    vec = LsaVectoriser(adaptive_dims=False)
    dense, sparse = vec.fit_transform_with_features(texts)
    verify = lexical_verifier(sparse)
    exact = find_duplicates(dense, ids, threshold=0.6, verify=verify)
    blocks = KMeans(20, n_init=1, random_state=0).fit_predict(dense)
    blocked = find_duplicates(dense, ids, threshold=0.6, verify=verify, blocks=blocks)
    assert {(p.id_a, p.id_b) for p in exact} >= {(p.id_a, p.id_b) for p in blocked}
    found = {frozenset((p.id_a, p.id_b)) for p in blocked}
    for k in (3, 40, 90):
        assert frozenset((ids[k], f"planted-{k}")) in found
    # One block: every pair is compared, the same answer as all pairs.
    one = find_duplicates(
        dense, ids, threshold=0.6, verify=verify, blocks=np.zeros(len(ids), int)
    )
    assert one == exact
    # Probing every block also compares every pair.
    import insights.pipeline.duplicates as dup

    r, c, _ = dup._blocked_candidate_pairs(dense, blocks, 0.6, 10**6, n_probe=20)
    r2, c2, _ = dup._candidate_pairs(dense, 0.6, 10**6)
    n = len(ids)
    assert set((r * n + c).tolist()) == set((r2 * n + c2).tolist())


def test_large_path_finds_planted_duplicate(petitions, monkeypatch):
    """Micro-clusters and blocked duplicates, forced on 160 petitions."""
    monkeypatch.setattr(spectral_module, "DIRECT_MAX", 50)
    monkeypatch.setattr(spectral_module, "MICRO_CLUSTERS", 40)
    monkeypatch.setattr(analyse_module, "EXACT_DUPLICATES_MAX", 50)
    docs = [Document(id=i, text=t) for i, t, _ in petitions]
    twin = docs[10].text.replace("the", "teh", 1)
    docs.append(Document(id="planted", text=twin + " Thank you."))
    result = analyse_texts(docs, n_clusters=4, seed=0, encoder=None)
    pairs = {frozenset((d.id_a, d.id_b)) for d in result.duplicates}
    assert frozenset((docs[10].id, "planted")) in pairs


def test_keywords_from_a_sample_of_big_clusters():
    bus = [f"bus lane number {i} on the high street and more buses" for i in range(60)]
    park = [f"plant trees in park {i} with benches" for i in range(60)]
    labels = [0] * 60 + [1] * 60
    full = cluster_keywords(bus + park, labels, n_keywords=3, max_per_cluster=None)
    sampled = cluster_keywords(bus + park, labels, n_keywords=3, max_per_cluster=10)
    assert "bus" in " ".join(sampled[0]) and "park" in " ".join(sampled[1])
    assert set(sampled[0]) & set(full[0]) and set(sampled[1]) & set(full[1])
    assert full == cluster_keywords(
        bus + park, labels, n_keywords=3, max_per_cluster=60
    )


def test_combine_centres_both_blocks():
    rng = np.random.default_rng(0)
    n = 120
    lsa = rng.normal(size=20) * 5 + rng.normal(size=(n, 20))
    emb = rng.normal(size=30) * 5 + rng.normal(size=(n, 30))
    out = combine(lsa.astype(np.float32), emb.astype(np.float32))
    assert out.shape == (n, 50)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # The shared direction is gone from both halves.
    assert np.abs(out[:, :20].mean(axis=0)).max() < 0.05
    assert np.abs(out[:, 20:].mean(axis=0)).max() < 0.05
    # A handful of texts keeps its LSA block as it is.
    few = combine(lsa[:50].astype(np.float32), emb[:50].astype(np.float32))
    assert np.abs(few[:, :20].mean(axis=0)).max() > 0.2


def test_micro_clusters_stop_after_a_bounded_number_of_steps(monkeypatch):
    made = []
    real = spectral_module.MiniBatchKMeans

    def spy(**kwargs):
        made.append(real(**kwargs))
        return made[-1]

    monkeypatch.setattr(spectral_module, "MiniBatchKMeans", spy)
    monkeypatch.setattr(spectral_module, "DIRECT_MAX", 100)
    monkeypatch.setattr(spectral_module, "MICRO_CLUSTERS", 40)
    monkeypatch.setattr(spectral_module, "_MICRO_BATCH", 64)
    monkeypatch.setattr(spectral_module, "MICRO_STEPS", 6)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 16))
    rows = centres[rng.integers(5, size=800)] + 0.3 * rng.normal(size=(800, 16))
    vectors = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    result = spectral_module.spectral_topics(vectors, 5, seed=0)
    assert result.micro_clusters == 40 and len(made) == 1
    # 6 steps of 64 rows: one pass over the 800 rows, 13 steps at most.
    assert made[0].max_iter == 1 and made[0].n_steps_ <= 13
    assert len(set(result.labels.tolist())) == 5
