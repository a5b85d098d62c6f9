"""Pol.is readers and opinion groups: synthetic split and real Pol.is groups."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from insights.pipeline import (
    PolisVote,
    VoteMatrix,
    analyse_polis_export,
    analyse_votes_json,
    last_votes,
    opinion_groups,
    read_comments,
    read_last_votes,
    read_participants_votes,
    read_votes,
    votes_to_matrix,
)
from insights.pipeline.opinions import _warm_split, min_group_size, rerun_on_draws


def _synthetic(seed=0, n_per_group=40, n_comments=30, seen=0.6):
    rng = np.random.default_rng(seed)
    stance = np.where(np.arange(n_comments) < n_comments // 2, 1.0, -1.0)
    rows, truth = [], []
    for g, sign in ((0, 1.0), (1, -1.0)):
        for _ in range(n_per_group):
            # Each group agrees with its half of the comments, 10 % noise.
            votes = sign * stance * np.where(rng.random(n_comments) < 0.9, 1, -1)
            votes[rng.random(n_comments) < 0.1] = 0.0
            votes[rng.random(n_comments) > seen] = np.nan
            rows.append(votes)
            truth.append(g)
    # Comments 0 and 1 are agreed by everybody: consensus.
    values = np.array(rows)
    values[:, :2] = np.where(np.isnan(values[:, :2]), np.nan, 1.0)
    pids = [f"p{i}" for i in range(len(rows))]
    return VoteMatrix(pids, [str(j) for j in range(n_comments)], values), truth


def test_synthetic_split_recovered_exactly():
    matrix, truth = _synthetic()
    result = opinion_groups(matrix, seed=0)
    pred = [result.assignments[p] for p in matrix.participant_ids]
    assert adjusted_rand_score(truth, pred) == 1.0
    assert len(result.groups) == 2
    assert set(result.consensus[:2]) == {"0", "1"}
    assert not set(result.divisive) & {"0", "1"}
    for g in result.groups:
        assert g.representative  # each side has comments that set it apart
    assert len(result.coordinates) == len(matrix.participant_ids)
    again = opinion_groups(matrix, seed=0)
    assert again.assignments == result.assignments


def test_sparse_voters_left_out_and_tiny_inputs():
    matrix, _ = _synthetic()
    matrix.values[0, :] = np.nan
    matrix.values[0, :3] = 1.0  # only 3 votes: below min(7, n_comments)
    result = opinion_groups(matrix)
    assert "p0" not in result.assignments
    empty = opinion_groups(VoteMatrix([], [], np.zeros((0, 0))))
    assert empty.groups == () and empty.assignments == {}
    tiny = opinion_groups(VoteMatrix(["a", "b"], ["c1"], np.array([[1.0], [-1.0]])))
    assert set(tiny.assignments.values()) == {0}


def test_last_vote_wins():
    votes = [
        PolisVote("v1", "c1", 1, timestamp=100),
        PolisVote("v1", "c1", -1, timestamp=300),
        PolisVote("v1", "c1", 0, timestamp=200),  # older although later in the log
        PolisVote("v2", "c1", 1, timestamp=50),
        PolisVote("v2", "c1", -1, timestamp=50),  # same time: later line wins
    ]
    assert last_votes(votes) == {("v1", "c1"): -1, ("v2", "c1"): -1}


def test_real_vote_log_matches_participants_votes(data_dir):
    folder = data_dir / "bg2050-volunteers"
    log = read_votes(folder / "votes.csv")
    last = read_last_votes(folder / "votes.csv")
    assert len(last) < len(log)  # the sample holds re-votes
    pv = read_participants_votes(folder / "participants-votes.csv")
    row = {p: i for i, p in enumerate(pv.matrix.participant_ids)}
    col = {c: j for j, c in enumerate(pv.matrix.comment_ids)}
    for (voter, comment), vote in last.items():
        assert pv.matrix.values[row[voter], col[comment]] == vote


def test_readers_handle_both_comment_headers(data_dir):
    bg = read_comments(data_dir / "bg2050-volunteers" / "comments.csv")
    tw = read_comments(data_dir / "vtaiwan.uberx" / "comments.csv")
    assert len(bg) == 371 and len(tw) == 197
    assert all(c.text for c in bg + tw)
    assert {c.moderated for c in tw} == {-1, 0, 1}
    matrix = votes_to_matrix({("1", "5"): 1, ("10", "2"): -1})
    assert matrix.participant_ids == ["1", "10"] and matrix.comment_ids == ["2", "5"]


def test_groups_agree_with_polis_on_real_conversation(data_dir):
    folder = data_dir / "bg2050-volunteers"
    out = analyse_votes_json(
        folder / "comments.csv",
        participants_votes_csv=folder / "participants-votes.csv",
    )
    assert set(out) == {
        "groups",
        "participants",
        "consensus",
        "divisive",
        "stability",
        "min_votes",
        "warm_start",
    }
    pv = read_participants_votes(folder / "participants-votes.csv")
    ref = {p: g for p, g in pv.group_ids.items() if g is not None}
    common = [p for p in ref if p in out["participants"]]
    assert len(common) >= 0.9 * len(ref)
    ari = adjusted_rand_score(
        [ref[p] for p in common], [out["participants"][p] for p in common]
    )
    # With no group below max(3, 5 %) of the voters, the one far-out voter
    # no longer makes a group of their own (106 + 1, ARI 0.19). The best
    # admissible two-group split is 102 + 5 (sum of squares 788): ARI 0.73.
    # Pol.is's 99 + 8 (801) is another k-means optimum, which random starts
    # found in one row order and not in others (see the row-order test).
    assert len(out["groups"]) == 2 and ari >= 0.7
    assert out["consensus"] and out["divisive"]
    assert all(isinstance(p, str) for p in out["participants"])
    # The folder form picks votes.csv (last vote wins) when it exists.
    assert analyse_polis_export(folder)["groups"]


def test_groups_hold_still_when_a_few_voters_are_left_out(data_dir):
    # The planner's question: would 5 % fewer voters have given other groups?
    folder = data_dir / "vtaiwan.uberx"
    pv = read_participants_votes(folder / "participants-votes.csv")
    full = opinion_groups(pv.matrix, seed=0)
    assert len(full.groups) == 2  # Pol.is also found two groups here
    assert full.stability is not None and full.stability >= 0.9
    rng = np.random.default_rng(7)
    scores = []
    for _ in range(5):
        keep = np.sort(
            rng.choice(
                len(pv.matrix.participant_ids),
                int(0.95 * len(pv.matrix.participant_ids)),
                replace=False,
            )
        )
        sub = VoteMatrix(
            [pv.matrix.participant_ids[i] for i in keep],
            pv.matrix.comment_ids,
            pv.matrix.values[keep],
        )
        again = opinion_groups(sub, seed=1)
        common = [p for p in again.assignments if p in full.assignments]
        scores.append(
            adjusted_rand_score(
                [full.assignments[p] for p in common],
                [again.assignments[p] for p in common],
            )
        )
    assert float(np.mean(scores)) >= 0.9


def _without_moderated(folder):
    comments = read_comments(folder / "comments.csv")
    return {c.comment_id for c in comments if c.moderated < 0}


def test_groups_match_polis_where_its_export_is_reproducible(data_dir):
    # vTaiwan: Pol.is's projection (moderated-out statements as zero columns,
    # PCA on every voter) puts the split where Pol.is put it; the projection
    # before (statements dropped, PCA on the grouped voters only) gave 0.74.
    folder = data_dir / "vtaiwan.uberx"
    pv = read_participants_votes(folder / "participants-votes.csv")
    result = opinion_groups(
        pv.matrix, seed=0, exclude_comments=_without_moderated(folder)
    )
    ref = {p: g for p, g in pv.group_ids.items() if g is not None}
    common = [p for p in ref if p in result.assignments]
    assert len(common) >= 0.99 * len(ref)
    assert len(result.groups) == 2
    ari = adjusted_rand_score(
        [ref[p] for p in common], [result.assignments[p] for p in common]
    )
    assert ari >= 0.8


def test_whole_pipeline_holds_still_on_95_percent_draws(data_dir):
    # The full pipeline (projection included) re-run on 20 random 95 % draws of
    # bg2050's voters: always two groups, agreeing with the full run at mean
    # ARI 0.89 here. With random k-means starts it was 0.72 from this file
    # (0.64 to 0.80 over shuffled row orders, and some draws found no
    # admissible split at all): k-means has several admissible splits a few
    # voters apart (99 + 8, 101 + 6, 102 + 5: sums of squares 801, 792, 788)
    # and which one the starts found depended on the rows. The least-squares
    # split by a line is 102 + 5 on most draws; a draw without one of those
    # five far-out voters splits elsewhere (ARI 0.2 to 0.4 on 4 of the 20).
    folder = data_dir / "bg2050-volunteers"
    pv = read_participants_votes(folder / "participants-votes.csv")
    excluded = _without_moderated(folder)
    full = opinion_groups(pv.matrix, seed=0, exclude_comments=excluded)
    scores, ks = rerun_on_draws(pv.matrix, full, draws=20, exclude_comments=excluded)
    assert ks == [len(full.groups)] * 20
    assert float(np.mean(scores)) >= 0.85


@pytest.mark.parametrize(
    "conversation", ("bg2050-volunteers", "scoop-hivemind.affordable-housing")
)
def test_same_groups_whatever_the_row_order(data_dir, conversation):
    # The same votes give the same groups however the rows are ordered. With
    # seeded random starts bg2050 came out 99 + 8 from participants-votes.csv
    # and 101 + 6 or 102 + 5 with the rows shuffled.
    folder = data_dir / conversation
    pv = read_participants_votes(folder / "participants-votes.csv")
    excluded = _without_moderated(folder)
    full = opinion_groups(pv.matrix, seed=0, exclude_comments=excluded)
    rng = np.random.default_rng(3)
    for _ in range(3):
        perm = rng.permutation(len(pv.matrix.participant_ids))
        shuffled = VoteMatrix(
            [pv.matrix.participant_ids[i] for i in perm],
            pv.matrix.comment_ids,
            pv.matrix.values[perm],
        )
        again = opinion_groups(shuffled, seed=5, exclude_comments=excluded)
        assert again.assignments == full.assignments


def test_two_groups_are_the_least_squares_split(data_dir):
    # The two groups are the admissible split with the least sum of squares:
    # no k-means start out of 300 finds a better one (random starts gave
    # bg2050 101 + 6, sum of squares 792, against 788 for 102 + 5).
    folder = data_dir / "bg2050-volunteers"
    pv = read_participants_votes(folder / "participants-votes.csv")
    result = opinion_groups(
        pv.matrix, seed=0, exclude_comments=_without_moderated(folder)
    )
    pids = list(result.coordinates)
    points = np.array([result.coordinates[p] for p in pids])
    labels = np.array([result.assignments[p] for p in pids])

    def sse(lab):
        return sum(
            ((points[lab == g] - points[lab == g].mean(0)) ** 2).sum()
            for g in set(lab.tolist())
        )

    found = sse(labels)
    minimum = min_group_size(len(pids))
    rng = np.random.default_rng(0)
    for _ in range(300):
        km = KMeans(2, n_init=1, random_state=int(rng.integers(1 << 31))).fit(points)
        if np.bincount(km.labels_).min() >= minimum:
            assert sse(km.labels_) >= found - 1e-6
    assert sorted(np.bincount(labels).tolist()) == [5, 102]


CONVERSATIONS = (
    "bg2050-volunteers",
    "scoop-hivemind.affordable-housing",
    "vtaiwan.uberx",
)


@pytest.mark.parametrize("conversation", CONVERSATIONS)
def test_two_groups_none_below_the_minimum_size(data_dir, conversation):
    # Pol.is shows two groups on each. Without the minimum group size bg2050
    # came out 106 + 1 (one far-out voter with 323 votes as a group of their
    # own); without preferring two groups unless more stand clearly apart
    # (85 % of the best silhouette, not 90 %), affordable-housing came out in
    # three (one round cloud: silhouettes 0.315, 0.340, 0.359 for k = 2, 3, 4).
    folder = data_dir / conversation
    pv = read_participants_votes(folder / "participants-votes.csv")
    result = opinion_groups(
        pv.matrix, seed=0, exclude_comments=_without_moderated(folder)
    )
    sizes = [g.size for g in result.groups]
    assert len(sizes) == 2
    assert min(sizes) >= min_group_size(sum(sizes)) >= 5


def test_minimum_group_size_rule():
    assert [min_group_size(n) for n in (4, 60, 79, 80, 107, 1218)] == [
        3,
        3,
        3,
        4,
        5,
        60,
    ]
    # Five voters cannot be split into groups of three: one group.
    matrix, _ = _synthetic(n_per_group=40)
    rows = [0, 1, 2, 40, 41]
    small = VoteMatrix(
        [matrix.participant_ids[i] for i in rows],
        matrix.comment_ids,
        matrix.values[rows],
    )
    assert set(opinion_groups(small).assignments.values()) == {0}


# -- warm start: a report re-run from the previous report's groups ------------


def _conversation(data_dir, name):
    folder = data_dir / name
    pv = read_participants_votes(folder / "participants-votes.csv")
    return pv, _without_moderated(folder)


def _draw(matrix, seed, share=0.95):
    rng = np.random.default_rng(seed)
    n = len(matrix.participant_ids)
    keep = np.sort(rng.choice(n, int(share * n), replace=False))
    return VoteMatrix(
        [matrix.participant_ids[i] for i in keep],
        matrix.comment_ids,
        matrix.values[keep],
    )


def _agreement(a, b):
    both = [p for p in a.assignments if p in b.assignments]
    ari = adjusted_rand_score(
        [a.assignments[p] for p in both], [b.assignments[p] for p in both]
    )
    same_id = np.mean([a.assignments[p] == b.assignments[p] for p in both])
    return ari, float(same_id)


def test_warm_start_keeps_the_groups_where_the_cold_split_turns(data_dir):
    # affordable-housing's placed voters are one round cloud: every direction's
    # best split is within 10 % of the best, and on this 95 % draw the cold
    # least-squares split turns to another direction (ARI 0.26 against the
    # full run). Started from the full run's groups, the draw keeps them (ARI
    # 0.89) and their ids (97 % of the voters keep their group id).
    pv, excluded = _conversation(data_dir, "scoop-hivemind.affordable-housing")
    full = opinion_groups(pv.matrix, exclude_comments=excluded)
    sub = _draw(pv.matrix, 37)
    cold = opinion_groups(sub, exclude_comments=excluded)
    warm = opinion_groups(sub, exclude_comments=excluded, previous=full.assignments)
    assert len(cold.groups) == len(warm.groups) == 2
    assert not cold.warm_start and warm.warm_start
    assert _agreement(full, cold)[0] < 0.4
    ari, same_id = _agreement(full, warm)
    assert ari >= 0.85 and same_id >= 0.95
    # Deterministic: the same votes and previous groups, the same groups.
    again = opinion_groups(sub, exclude_comments=excluded, previous=full.assignments)
    assert again.assignments == warm.assignments
    assert min(g.size for g in warm.groups) >= min_group_size(len(warm.assignments))


def test_warm_start_keeps_the_previous_ids(data_dir):
    # Same split as the previous run, ids swapped in the previous run: the ids
    # follow the previous run, not the sizes.
    pv, excluded = _conversation(data_dir, "vtaiwan.uberx")
    full = opinion_groups(pv.matrix, exclude_comments=excluded)
    swapped = {p: 1 - g for p, g in full.assignments.items()}
    warm = opinion_groups(pv.matrix, exclude_comments=excluded, previous=swapped)
    assert warm.warm_start and warm.assignments == swapped
    assert [g.size for g in warm.groups] == [g.size for g in full.groups][::-1]


def test_warm_start_falls_back_to_the_cold_groups(data_dir):
    pv, excluded = _conversation(data_dir, "scoop-hivemind.affordable-housing")
    cold = opinion_groups(pv.matrix, exclude_comments=excluded)
    placed = list(cold.assignments)
    for previous in (
        None,
        {},
        {"nobody": 0, "ghost": 1},  # all the previous voters gone
        {p: "a" if i % 2 else None for i, p in enumerate(placed)},  # not ids
        dict.fromkeys(placed, True),
        dict.fromkeys(placed, -1),
    ):
        again = opinion_groups(pv.matrix, exclude_comments=excluded, previous=previous)
        assert again.assignments == cold.assignments and not again.warm_start
    # One previous group only: nothing to start two groups from, so the cold
    # split; the group holding most of the previous one keeps its id.
    one = opinion_groups(
        pv.matrix, exclude_comments=excluded, previous=dict.fromkeys(placed, 1)
    )
    assert not one.warm_start and _agreement(one, cold)[0] == 1.0


def test_warm_split_kept_only_near_the_least_sum_of_squares():
    # Three clouds on a line, 40 points each, at -10, 0 and 12. {A} | {B, C}
    # is a k-means fixed point (B is nearer C's side's centre), but its sum
    # of squares is about 44 % above {A, B} | {C}'s: not kept. Started from
    # {A, B} | {C} itself, the split is kept.
    rng = np.random.default_rng(0)
    points = np.concatenate(
        [rng.normal((x, 0.0), 0.5, (40, 2)) for x in (-10.0, 0.0, 12.0)]
    )
    best = np.repeat([0, 0, 1], 40)
    worse = np.repeat([0, 1, 1], 40)
    assert _warm_split(points, worse, best, 5) is None
    kept = _warm_split(points, best, best, 5)
    assert kept is not None and adjusted_rand_score(best, kept) == 1.0
    # A previous group that is now below the minimum size: not kept either.
    assert _warm_split(points, best, best, 50) is None


def test_polis_groups_are_its_history_not_the_votes(data_dir):
    # bg2050: started from Pol.is's own 99 + 8 (as Pol.is starts each run from
    # the last), k-means stays there (1.7 % above the least sum of squares,
    # within the 2 % tolerance): ARI 1.00 against Pol.is, where the cold
    # least-squares split 102 + 5 scores 0.73. Which admissible split a
    # conversation shows depends on where its runs started.
    pv, excluded = _conversation(data_dir, "bg2050-volunteers")
    polis = {p: int(g) for p, g in pv.group_ids.items() if g is not None}
    cold = opinion_groups(pv.matrix, exclude_comments=excluded)
    warm = opinion_groups(pv.matrix, exclude_comments=excluded, previous=polis)
    common = [p for p in polis if p in cold.assignments]

    def ari(result):
        return adjusted_rand_score(
            [polis[p] for p in common], [result.assignments[p] for p in common]
        )

    assert warm.warm_start and ari(warm) == 1.0 and ari(cold) < 0.8
