"""Near-duplicate pairs and the similar-ideas index."""

from insights.pipeline import Document, SimilarityIndex, analyse_texts, find_duplicates
from insights.pipeline.duplicates import lexical_verifier
from insights.pipeline.vectorise import LsaVectoriser


def _planted(petitions):
    docs = [Document(id=i, text=t) for i, t, _ in petitions]
    original = docs[10]
    # Same petition with a few words changed and a typo: a resubmission.
    twin = original.text.replace("the", "teh", 1).replace("Government", "government")
    docs.append(Document(id="planted", text=twin + " Thank you."))
    return docs, original.id


def test_planted_near_duplicate_found(petitions):
    docs, original = _planted(petitions)
    result = analyse_texts(docs, n_clusters=4, seed=0)
    pairs = {frozenset((d.id_a, d.id_b)): d.score for d in result.duplicates}
    assert frozenset((original, "planted")) in pairs
    assert pairs[frozenset((original, "planted"))] > 0.9
    # Topic neighbours are not reported: few pairs in 161 distinct petitions.
    assert len(pairs) < 10


def test_find_duplicates_chunked_matches_brute_force(petitions, monkeypatch):
    import insights.pipeline.duplicates as dup

    docs, _ = _planted(petitions)
    vec = LsaVectoriser()
    dense, sparse = vec.fit_transform_with_features([d.text for d in docs])
    ids = [d.id for d in docs]
    full = find_duplicates(dense, ids, threshold=0.6, verify=lexical_verifier(sparse))
    monkeypatch.setattr(dup, "BLOCK_FLOATS", 500)  # force many small blocks
    chunked = find_duplicates(
        dense, ids, threshold=0.6, verify=lexical_verifier(sparse)
    )
    assert full == chunked
    sims = dense @ dense.T
    brute = {
        (ids[i], ids[j])
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
        if sims[i, j] >= 0.6
    }
    unverified = find_duplicates(dense, ids, threshold=0.6)
    assert {(p.id_a, p.id_b) for p in unverified} == brute


def test_similarity_index_query_add_remove_round_trip(petitions):
    docs = [Document(id=i, text=t) for i, t, _ in petitions]
    index = SimilarityIndex.build(docs)
    target = docs[5]
    draft = " ".join(target.text.split()[:20])
    hits = index.query(draft, k=5)
    assert hits[0][0] == target.id and hits[0][1] > 0.5
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert index.query("", k=5) == []
    assert index.query(draft, k=3, exclude=[target.id])[0][0] != target.id

    index.add("new", "Introduce a four day school week for teachers and pupils")
    assert index.query("four day school week", k=1)[0][0] == "new"
    index.remove("new")
    assert "new" not in index.ids

    again = SimilarityIndex.from_bytes(index.to_bytes())
    assert again.query(draft, k=5) == hits
    assert SimilarityIndex.build([]).query("anything") == []
