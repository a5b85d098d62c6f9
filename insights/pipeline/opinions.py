"""Opinion groups from agree/disagree/pass votes, following the Pol.is method.

Vote matrix -> the participants Pol.is groups (at least min(7, comments)
votes) -> Pol.is's 2-D projection (moderated-out comments as zero columns,
unseen votes imputed by the comment's mean for the PCA, each participant
projected over their own votes and pushed out by sqrt(comments / votes)) ->
~100 base clusters by k-means -> weighted k-means on their centres, k from 2 to
5 by silhouette on the centres (one deterministic, seeded run; Pol.is also
smooths k over its history of runs, which one analysis does not have). Then
representative, consensus and divisive comments.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from .types import OpinionGroup, OpinionGroups, RepresentativeComment, VoteMatrix

__all__ = [
    "bagged_groups",
    "group_vote_counts",
    "in_conversation",
    "opinion_groups",
    "polis_projection",
    "two_level_groups",
]

Z_90 = 1.2816  # one-sided 90 % as in Pol.is's repness tests
BASE_CLUSTERS = 100  # Pol.is's base-k
GROUP_INITS = 10  # k-means restarts when grouping the base clusters
BASE_INITS = 10  # and when making them
GREEDY_MIN = 15  # Pol.is tops the grouped participants up to this many
# Bagging: re-runs of the whole method on this share of the participants.
BAG_DRAWS = 20
BAG_SHARE = 0.9
# Stability: re-runs on this share of the participants, this many times.
STABILITY_SHARE = 0.95
STABILITY_DRAWS = 10


def _prop_z(successes: np.ndarray, n: np.ndarray) -> np.ndarray:
    # Pol.is prop-test: is the (pseudocounted) share above one half?
    s, m = successes + 1.0, n + 1.0
    return 2.0 * np.sqrt(m) * (s / m - 0.5)


def _two_prop_z(
    s1: np.ndarray, n1: np.ndarray, s2: np.ndarray, n2: np.ndarray
) -> np.ndarray:
    # Two-proportion z-test with the same +1 pseudocounts as Pol.is.
    s1, n1, s2, n2 = s1 + 1.0, n1 + 1.0, s2 + 1.0, n2 + 1.0
    p1, p2 = s1 / n1, s2 / n2
    pooled = (s1 + s2) / (n1 + n2)
    denom = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return np.divide(p1 - p2, denom, out=np.zeros_like(p1), where=denom > 0)


def group_vote_counts(
    values: np.ndarray, labels: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(agrees, disagrees, seen) per group x comment from raw votes (NaN unseen)."""
    agree = np.zeros((n_groups, values.shape[1]))
    disagree = np.zeros_like(agree)
    seen = np.zeros_like(agree)
    for g in range(n_groups):
        rows = values[labels == g]
        agree[g] = (rows == 1).sum(axis=0)
        disagree[g] = (rows == -1).sum(axis=0)
        seen[g] = (~np.isnan(rows)).sum(axis=0)
    return agree, disagree, seen


def polis_projection(
    values: np.ndarray, moderated_out: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[float, ...]]:
    """Every participant's 2-D position, as Pol.is computes it.

    ``values``: participants x comments, NaN where not seen; comments nobody
    voted on are left out, as Pol.is never sees them. Moderated-out
    comments stay as columns of zeros for everyone (Pol.is zeroes them rather
    than dropping them, so they count as seen in the scaling below). The
    principal components come from all participants, unseen votes imputed by
    the comment's mean; each participant is projected over the comments they
    voted on only, then pushed out from the centre by sqrt(comments / votes),
    since imputation alone would pull sparse voters to the middle.
    """
    v = np.array(values, dtype=float, copy=True)
    # Pol.is's matrix has a column per comment somebody voted on.
    voted = (~np.isnan(v)).any(axis=0)
    v = v[:, voted]
    if moderated_out is not None and moderated_out.any():
        v[:, moderated_out[voted]] = 0.0
    n, m = v.shape
    seen = ~np.isnan(v)
    counts = seen.sum(axis=0)
    col_mean = np.divide(
        np.where(seen, v, 0.0).sum(axis=0),
        counts,
        out=np.zeros(m),
        where=counts > 0,
    )
    filled = np.where(seen, v, col_mean[None, :])
    centre = filled.mean(axis=0)
    centred = filled - centre
    # Principal axes from the comment x comment covariance: cheap for any
    # number of participants. eigh sorts ascending; the sign is fixed so the
    # same votes always give the same picture.
    cov = centred.T @ centred
    eigval, eigvec = np.linalg.eigh(cov)
    axes = eigvec[:, ::-1][:, :2].T
    for a in axes:
        big = int(np.argmax(np.abs(a)))
        if a[big] < 0:
            a *= -1
    total = float(eigval.sum())
    explained = tuple(float(x / total) if total > 0 else 0.0 for x in eigval[::-1][:2])
    own = np.where(seen, v - centre[None, :], 0.0)
    points = own @ axes.T
    points *= np.sqrt(m / np.maximum(seen.sum(axis=1), 1))[:, None]
    return points, explained


def in_conversation(n_votes: np.ndarray, n_comments: int, min_votes: int) -> np.ndarray:
    """Indices of the participants Pol.is groups: at least min(7, comments)
    votes; when that leaves fewer than 15, the most active are added up to 15."""
    need = max(1, min(min_votes, n_comments))
    chosen = set(np.flatnonzero(n_votes >= need).tolist())
    if len(chosen) < GREEDY_MIN:
        order = np.lexsort((np.arange(len(n_votes)), -n_votes))
        for i in order:
            if len(chosen) >= GREEDY_MIN:
                break
            if n_votes[i] > 0:
                chosen.add(int(i))
    return np.array(sorted(chosen), dtype=np.int64)


def two_level_groups(
    points: np.ndarray, seed: int, k_values: range = range(2, 6)
) -> tuple[np.ndarray, int, dict[int, float]]:
    """Pol.is's two levels: ~100 base clusters, then groups of base clusters.

    k-means makes up to ``BASE_CLUSTERS`` base clusters of the points; weighted
    k-means (weights: members) groups their centres for each k from 2 up to
    min(5, 2 + bases / 12); the k with the best silhouette on the centres wins.
    Returns (group per point, k, silhouette per k).
    """
    n = len(points)
    distinct = len(np.unique(np.round(points, 9), axis=0))
    if n < 4 or distinct < 2:
        return np.zeros(n, np.int64), 1, {}
    n_base = min(BASE_CLUSTERS, distinct)
    base = KMeans(n_clusters=n_base, n_init=BASE_INITS, random_state=seed).fit(points)
    weights = np.bincount(base.labels_, minlength=n_base).astype(float)
    used = weights > 0
    remap = np.cumsum(used) - 1
    base_of = remap[base.labels_]
    centres, weights = base.cluster_centers_[used], weights[used]
    k_high = min(max(k_values), 2 + len(centres) // 12)
    scores: dict[int, float] = {}
    found: dict[int, np.ndarray] = {}
    for k in k_values:
        if k > k_high or k >= len(centres):
            break
        labels = (
            KMeans(n_clusters=k, n_init=GROUP_INITS, random_state=seed)
            .fit(centres, sample_weight=weights)
            .labels_
        )
        if len(set(labels.tolist())) < 2:
            continue
        scores[k] = float(silhouette_score(centres, labels))
        found[k] = labels
    if not scores:
        return np.zeros(n, np.int64), 1, {}
    k = max(scores, key=lambda x: (scores[x], -x))
    return found[k][base_of].astype(np.int64), k, scores


def _align(labels: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Relabel ``labels`` to best match ``reference`` (Hungarian on overlaps)."""
    overlap = np.zeros((k, k))
    np.add.at(overlap, (labels, reference), 1)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = np.arange(k)
    mapping[rows] = cols
    return mapping[labels]


def _mapping(labels: np.ndarray, aligned: np.ndarray, k: int) -> np.ndarray:
    """The label map that turned ``labels`` into ``aligned`` (identity if unseen)."""
    mapping = np.arange(k)
    mapping[labels] = aligned
    return mapping


def subsample_runs(
    values: np.ndarray,
    moderated_out: np.ndarray,
    kept: np.ndarray,
    seed: int,
    k_values: range = range(2, 6),
    draws: int = STABILITY_DRAWS,
    share: float = STABILITY_SHARE,
) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The whole method (projection included) on ``draws`` seeded random
    ``share``s of the participants: (positions among ``kept``, groups, k) each."""
    n = len(values)
    rng = np.random.default_rng(seed)
    position = np.full(n, -1, np.int64)
    position[kept] = np.arange(len(kept))
    size = int(round(share * n))
    runs: list[tuple[np.ndarray, np.ndarray, int]] = []
    if draws <= 0 or not GREEDY_MIN <= size < n:
        return runs
    for _ in range(draws):
        rows = np.sort(rng.choice(n, size, replace=False))
        sub_points, _ = polis_projection(values[rows], moderated_out)
        local = np.flatnonzero(position[rows] >= 0)
        if len(local) < 4:
            continue
        labels, k, _ = two_level_groups(
            sub_points[local], int(rng.integers(1 << 31)), k_values
        )
        runs.append((position[rows[local]], labels, k))
    return runs


def bagged_groups(
    values: np.ndarray,
    moderated_out: np.ndarray,
    kept: np.ndarray,
    seed: int,
    k_values: range = range(2, 6),
    draws: int = BAG_DRAWS,
    share: float = BAG_SHARE,
) -> tuple[np.ndarray, int, np.ndarray, float | None, float | None]:
    """Groups of the ``kept`` participants, voted over re-runs on subsamples.

    One Pol.is run is a single draw: its groups shift when a few voters come or
    go, because several splits of a 2-D cloud are nearly as good. So the whole
    method (projection included) also runs on ``draws`` seeded random
    ``share``s of the participants; k is the most frequent choice (ties: the
    fewer groups), and each participant takes the group they fall in most
    often once every run's groups are matched to the consensus (bagged
    clustering, Dudoit and Fridlyand 2003). Same input and seed, same groups.

    Returns (group per kept participant, k, 2-D points of all participants,
    silhouette of the full run at k, mean ARI of the runs with the result).
    """
    points, _ = polis_projection(values, moderated_out)
    full, k_full, sil = two_level_groups(points[kept], seed, k_values)
    # Each run: (positions among ``kept``, groups there, k).
    runs: list[tuple[np.ndarray, np.ndarray, int]] = [
        (np.arange(len(kept)), full, k_full)
    ]
    runs += subsample_runs(values, moderated_out, kept, seed, k_values, draws, share)
    counts = np.bincount([r[2] for r in runs])
    k = int(np.argmax(counts))  # the fewest groups among equally frequent k
    if k <= 1:
        return np.zeros(len(kept), np.int64), 1, points, None, None
    same_k = [r for r in runs if r[2] == k]
    # Start from the run covering the most participants (the full run when its
    # k is the chosen one), then vote until the consensus stops moving.
    first = max(same_k, key=lambda r: len(r[0]))
    consensus = np.full(len(kept), -1, np.int64)
    consensus[first[0]] = first[1]
    for _ in range(5):
        tally = np.zeros((len(kept), k))
        for where, labels, _ in same_k:
            known = consensus[where] >= 0
            aligned = _align(labels[known], consensus[where][known], k)
            mapping = _mapping(labels[known], aligned, k)
            tally[where, mapping[labels]] += 1
        updated = np.argmax(tally, axis=1)
        updated[tally.sum(axis=1) == 0] = 0
        if np.array_equal(updated, consensus):
            break
        consensus = updated
    agreement = [
        float(adjusted_rand_score(consensus[where], labels))
        for where, labels, _ in same_k
    ]
    agreement += [0.0] * (len(runs) - len(same_k))  # a run with another k
    silhouette = sil.get(k)
    return consensus, k, points, silhouette, float(np.mean(agreement))


def opinion_groups(
    matrix: VoteMatrix,
    seed: int = 0,
    min_votes: int = 7,
    k_values: range = range(2, 6),
    exclude_comments: Collection[str] = (),
    n_representative: int = 5,
    n_consensus: int = 5,
    n_divisive: int = 5,
    draws: int = 0,
) -> OpinionGroups:
    """Pol.is-style opinion groups of a participant x comment vote matrix.

    Participants are grouped when Pol.is would group them (see
    :func:`in_conversation`); the others get no group and no coordinates.
    ``exclude_comments`` are comments moderated out: zero columns for the
    projection as in Pol.is, left out of every statement list. Positions by
    :func:`polis_projection`, groups by :func:`two_level_groups`; with
    ``draws`` > 0 they are voted over that many seeded re-runs on 90 % of the
    participants (:func:`bagged_groups`; measured, and off by default: on the
    given conversations it drifted towards splitting off one far-out voter).
    ``stability``: mean ARI of the groups with 10 seeded re-runs of the whole
    method on 95 % of the participants (0 for a re-run with another k).
    Group ids are ordered by size, largest first. With fewer than 4 grouped
    participants or 2 comments, everyone grouped is in group 0. Representative
    comments per group: votes in the group differ from everyone else's
    (Pol.is repness: pseudocounted rate and ratio, both significant at 90 %).
    Consensus: group-informed consensus, the product over groups of
    (agree + 1) / (seen + 2), among comments most of every group agrees with.
    Divisive: the largest spread of that agree rate across groups.
    """
    excluded = set(exclude_comments)
    out_mask = np.array([c in excluded for c in matrix.comment_ids], dtype=bool)
    keep_cols = np.flatnonzero(~out_mask)
    comment_ids = [matrix.comment_ids[j] for j in keep_cols]
    all_values = np.asarray(matrix.values, dtype=float)
    values = all_values[:, keep_cols]
    n_comments = len(comment_ids)
    # Pol.is counts every vote a participant cast, moderated-out comments too.
    raw_votes = (~np.isnan(all_values)).sum(axis=1)
    kept = (
        in_conversation(raw_votes, all_values.shape[1], min_votes)
        if n_comments
        else np.zeros(0, np.int64)
    )
    pids = [matrix.participant_ids[i] for i in kept]
    votes = values[kept]
    if len(pids) == 0 or n_comments == 0:
        return OpinionGroups(
            groups=(), assignments={}, coordinates={}, consensus=(), divisive=()
        )
    silhouette: float | None = None
    stability: float | None = None
    explained: tuple[float, ...] = ()
    if len(pids) >= 4 and n_comments >= 2:
        labels, k, all_points, silhouette, stability = bagged_groups(
            all_values, out_mask, kept, seed, k_values, draws=draws
        )
        if not draws and k > 1:
            # One Pol.is run: how much it moves on 95 % of the participants.
            again = subsample_runs(all_values, out_mask, kept, seed, k_values)
            stability = float(
                np.mean(
                    [
                        adjusted_rand_score(labels[where], other)
                        if k_other == k
                        else 0.0
                        for where, other, k_other in again
                    ]
                    or [1.0]
                )
            )
        _, explained = polis_projection(all_values, out_mask)
        points = all_points[kept]
    else:
        labels = np.zeros(len(pids), dtype=np.int64)
        points = np.zeros((len(pids), 2))
    # Renumber by size (ties by first participant) for stable ids.
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    remap = {int(ids[i]): new for new, i in enumerate(order)}
    labels = np.array([remap[int(x)] for x in labels], dtype=np.int64)
    n_groups = len(order)

    agree, disagree, seen = group_vote_counts(votes, labels, n_groups)
    pa = (agree + 1) / (seen + 2)
    groups = []
    for g in range(n_groups):
        reps = _representative(g, agree, disagree, seen, comment_ids, n_representative)
        members = tuple(pids[i] for i in np.flatnonzero(labels == g))
        groups.append(OpinionGroup(id=g, participant_ids=members, representative=reps))

    gic = pa.prod(axis=0)
    everyone_agrees = (pa > 0.5).all(axis=0)
    total_seen = seen.sum(axis=0)
    cons_order = [
        j
        for j in np.lexsort((np.arange(n_comments), -gic))
        if everyone_agrees[j] and total_seen[j] > 0
    ]
    consensus = tuple(comment_ids[j] for j in cons_order[:n_consensus])
    divisive: tuple[str, ...] = ()
    if n_groups >= 2:
        spread = pa.max(axis=0) - pa.min(axis=0)
        div_order = np.lexsort((np.arange(n_comments), -spread))
        divisive = tuple(
            comment_ids[j] for j in div_order[:n_divisive] if spread[j] > 0
        )
    return OpinionGroups(
        groups=tuple(groups),
        assignments={p: int(labels[i]) for i, p in enumerate(pids)},
        coordinates={
            p: (float(points[i, 0]), float(points[i, 1])) for i, p in enumerate(pids)
        },
        consensus=consensus,
        divisive=divisive,
        consensus_scores={
            comment_ids[j]: float(gic[j]) for j in cons_order[:n_consensus]
        },
        silhouette=silhouette,
        explained_variance=explained,
        stability=stability,
        min_votes=max(1, min(min_votes, all_values.shape[1])),
    )


def _representative(
    g: int,
    agree: np.ndarray,
    disagree: np.ndarray,
    seen: np.ndarray,
    comment_ids: list[str],
    n: int,
) -> tuple[RepresentativeComment, ...]:
    if agree.shape[0] < 2:
        return ()
    out_seen = seen.sum(axis=0) - seen[g]
    found: list[tuple[float, RepresentativeComment]] = []
    for direction, counts in (("agree", agree), ("disagree", disagree)):
        in_s, out_s = counts[g], counts.sum(axis=0) - counts[g]
        rate = (in_s + 1) / (seen[g] + 2)
        other = (out_s + 1) / (out_seen + 2)
        ratio = rate / other
        z_rate = _prop_z(in_s, seen[g])
        z_ratio = _two_prop_z(in_s, seen[g], out_s, out_seen)
        metric = ratio * rate * z_rate * z_ratio
        for j in np.flatnonzero((z_rate > Z_90) & (z_ratio > Z_90)):
            found.append(
                (
                    float(metric[j]),
                    RepresentativeComment(
                        comment_id=comment_ids[j],
                        direction=direction,
                        group_rate=float(rate[j]),
                        other_rate=float(other[j]),
                        ratio=float(ratio[j]),
                        z=float(z_ratio[j]),
                    ),
                )
            )
    # One entry per comment (its stronger direction), strongest first.
    best: dict[str, tuple[float, RepresentativeComment]] = {}
    for metric, rep in found:
        if rep.comment_id not in best or metric > best[rep.comment_id][0]:
            best[rep.comment_id] = (metric, rep)
    ranked = sorted(best.values(), key=lambda x: (-x[0], x[1].comment_id))
    return tuple(rep for _, rep in ranked[:n])
