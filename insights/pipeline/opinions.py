"""Opinion groups from agree/disagree/pass votes, following the Pol.is method.

The projection is Pol.is's as its code computes it (polismath ``conversation``
and ``pca``): moderated-out comments stay as columns of zeros (a pass from
everybody), unseen votes are imputed with the comment's mean over everyone who
voted, PCA to 2-D is fitted on everyone who voted, and each participant's point
is pushed out by sqrt(columns / columns answered), the zero columns counting as
answered. Participants with >= min(7, comments) votes are grouped by k-means
on these points with k from 2 to 5, no group smaller than max(3, 5 %) of the
grouped participants: for two groups the split by a straight line with the
least sum of squares (360 directions tried, no random starts), for more
the best of 30 seeded starts; then the fewest groups within 85 % of the best silhouette.
Pol.is runs the same k-means on 100 base-cluster centres weighted by their
sizes, seeded from the previous run and smoothed over runs, which in
practice never shows a group of one; here every participant is their own
base cluster, and the minimum group size keeps a far-out voter from being a
group of their own. The same votes and seed always give the same groups,
whatever the order of the rows. Then the groups' stability when 5 % of the
voters are left out, and representative, consensus and divisive comments.
Given the previous run's groups, k-means starts from them and keeps them
when they fit the votes nearly as well as the cold split (``previous``), so
that a re-run report does not turn its groups for a few voters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from .types import OpinionGroup, OpinionGroups, RepresentativeComment, VoteMatrix

__all__ = [
    "group_vote_counts",
    "opinion_groups",
    "rerun_on_draws",
    "subsample_stability",
]

Z_90 = 1.2816  # one-sided 90 % as in Pol.is's repness tests
# Stability: re-run on this share of the voters, this many times.
STABILITY_SHARE = 0.95
STABILITY_DRAWS = 10
# The fewest groups within this share of the best silhouette are chosen: more
# than two groups only when they stand clearly apart. affordable-housing's
# points are one round cloud: k = 2 scores 0.315, k = 3 0.340, k = 4 0.359
# (k = 2 at 88 % of the best), so at 0.9 it got three arbitrary groups, at
# 0.85 two, as Pol.is shows.
SILHOUETTE_SHARE = 0.85
# No group smaller than this share of the grouped participants, nor than
# MIN_GROUP_SIZE: one far-out voter is not an opinion group a planner can read
# (bg2050: the best k-means split was 106 + 1, one voter with 323 votes).
MIN_GROUP_SHARE = 0.05
MIN_GROUP_SIZE = 3
# k-means starts for three or more groups, for the groups and for each
# stability re-run alike: the best (least sum of squares) start whose groups
# all meet the minimum size is kept. Two groups need no starts: see
# _best_line_split.
N_INIT = 30
# Two groups: the directions tried for the dividing line, over half a turn
# (0.5 degree apart), then polished by k-means from the best one.
N_ANGLES = 360
# Warm start (``previous`` membership given): k-means seeded from the centres
# of the previous groups' members still present is kept when no group falls
# below the minimum size and its sum of squares is at most this share above
# the cold least-squares split with as many groups. Measured (bench
# `stability_warm` and runs as the votes arrived, docs/insights-cli.md): a
# kept warm split cost at most 0.15 % more than the cold one on 95 % draws,
# 0.92 % on runs at 60 % to 100 % of the vote log; 2 % is about twice that.
# It is not 10 %: every direction's best split of affordable-housing's round
# cloud is within 10 % of the best, so groups would never follow the votes.
WARM_TOLERANCE = 0.02


def min_group_size(n: int) -> int:
    """The smallest group allowed among ``n`` grouped participants."""
    return max(MIN_GROUP_SIZE, int(MIN_GROUP_SHARE * n))


def _kmeans_min_size(
    points: np.ndarray, k: int, min_size: int, rng: np.random.Generator
) -> np.ndarray | None:
    """k-means labels: the best of ``N_INIT`` starts with no group < min_size.

    None when no start gives such groups. Rejecting the starts that break the
    minimum, rather than splitting off the far-out voters and re-fitting, keeps
    those voters in the groups they pull towards, as Pol.is's groups on
    bg2050 do (its smaller group is the far-out voters and a few near them).
    """
    best: tuple[float, np.ndarray] | None = None
    for _ in range(N_INIT):
        model = KMeans(
            n_clusters=k, n_init=1, random_state=int(rng.integers(1 << 31))
        ).fit(points)
        labels = model.labels_
        if np.bincount(labels, minlength=k).min() < min_size:
            continue
        if best is None or model.inertia_ < best[0]:
            best = (float(model.inertia_), labels)
    return None if best is None else best[1]


def _sse(points: np.ndarray, labels: np.ndarray) -> float:
    return float(
        sum(
            ((points[labels == g] - points[labels == g].mean(0)) ** 2).sum()
            for g in np.unique(labels)
        )
    )


def _best_line_split(points: np.ndarray, min_size: int) -> np.ndarray | None:
    """Two groups: the least sum of squares over all splits by a straight line.

    The best 2-means split of points in the plane is a split by a line (the
    perpendicular bisector of its two centres), and so is the best one with a
    minimum group size. For each of ``N_ANGLES`` directions the points are
    sorted along it and every cut leaving ``min_size`` or more on each side is
    scored from prefix sums; a cut never falls between points at the same
    place along the direction, so identical voters stay together. The best
    cut is then polished by k-means from its two centres, kept if that stays
    admissible and no worse. No random starts: the same points give the same
    split whatever their order (the random starts before found one of three
    admissible splits of bg2050 depending on the row order, and on 95 %
    draws sometimes none). None when no cut leaves ``min_size`` on each side.
    """
    n = len(points)
    if n < 2 * max(min_size, 1):
        return None
    x, y = points[:, 0].copy(), points[:, 1].copy()
    total_x, total_y = float(x.sum()), float(y.sum())
    left_n = np.arange(1, n, dtype=float)
    right_n = n - left_n
    size_ok = (left_n >= min_size) & (right_n >= min_size)
    # The sum of squares of a split is the total minus n_l |mean_l|^2 + n_r
    # |mean_r|^2 (about the origin), so the best cut maximises the latter.
    best: tuple[float, np.ndarray, int] | None = None
    order = np.arange(n)
    for theta in np.arange(N_ANGLES) * np.pi / N_ANGLES:
        proj = x * np.cos(theta) + y * np.sin(theta)
        # The order along the previous direction is nearly the order along
        # this one: a stable sort of a nearly sorted array is close to linear.
        order = order[np.argsort(proj[order], kind="stable")]
        along = proj[order]
        lx, ly = np.cumsum(x[order])[:-1], np.cumsum(y[order])[:-1]
        rx, ry = total_x - lx, total_y - ly
        between = (lx * lx + ly * ly) / left_n + (rx * rx + ry * ry) / right_n
        between[~(size_ok & (along[1:] > along[:-1]))] = -np.inf
        cut = int(np.argmax(between))
        if np.isfinite(between[cut]) and (best is None or between[cut] > best[0]):
            best = (float(between[cut]), order.copy(), cut + 1)
    if best is None:
        return None
    labels = np.zeros(n, dtype=np.int64)
    labels[best[1][best[2] :]] = 1
    centres = np.stack([points[labels == g].mean(axis=0) for g in (0, 1)])
    model = KMeans(n_clusters=2, init=centres, n_init=1).fit(points)
    polished = model.labels_.astype(np.int64)
    if np.bincount(polished, minlength=2).min() >= min_size and _sse(
        points, polished
    ) <= _sse(points, labels):
        return polished
    return labels


def _split(
    points: np.ndarray, k: int, min_size: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Labels for ``k`` groups, none below ``min_size``; None if impossible.

    The rows are put in a fixed order first (by coordinates), so that the
    seeded starts for three or more groups do not depend on the input's row
    order either.
    """
    order = np.lexsort((points[:, 1], points[:, 0]))
    if k == 2:
        found = _best_line_split(points[order], min_size)
    else:
        found = _kmeans_min_size(points[order], k, min_size, rng)
    if found is None:
        return None
    labels = np.empty(len(points), dtype=np.int64)
    labels[order] = found
    return labels


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


def subsample_stability(
    points: np.ndarray,
    labels: np.ndarray,
    k: int,
    seed: int,
    draws: int = STABILITY_DRAWS,
    share: float = STABILITY_SHARE,
) -> float:
    """Mean ARI between ``labels`` and a re-run on a random ``share`` of the rows.

    The question a planner asks of opinion groups: would leaving out a few
    voters have given other groups? 1 is identical, 0 is chance. Each re-run
    is the same k-means with the same minimum group size (on the rows drawn);
    a re-run with no admissible split counts as one group (ARI 0).
    """
    n = len(points)
    keep = max(k + 1, int(round(share * n)))
    if keep >= n:
        return 1.0
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(draws):
        rows = np.sort(rng.choice(n, keep, replace=False))
        again = _split(points[rows], k, min_group_size(keep), rng)
        if again is None:
            again = np.zeros(keep, dtype=np.int64)
        scores.append(adjusted_rand_score(labels[rows], again))
    return float(np.mean(scores))


def _warm_split(
    points: np.ndarray, previous: np.ndarray, cold: np.ndarray, min_size: int
) -> np.ndarray | None:
    """k-means from the previous groups' centres, if as good as ``cold``.

    ``previous`` holds each row's previous group (-1: not in the previous
    run). The seed is the centre of each previous group's members still
    present, in this run's points, so a turn or a sign flip of the projection
    changes nothing. The result is kept when no group is below ``min_size``
    and its sum of squares is within ``WARM_TOLERANCE`` of ``cold``'s (the
    cold least-squares split with as many groups); None otherwise.
    """
    seen = np.unique(previous[previous >= 0])
    centres = np.stack([points[previous == g].mean(axis=0) for g in seen])
    k = len(seen)
    if len(np.unique(np.round(centres, 8), axis=0)) < k:
        return None
    model = KMeans(n_clusters=k, init=centres, n_init=1, random_state=0).fit(points)
    labels = model.labels_.astype(np.int64)
    if np.bincount(labels, minlength=k).min() < min_size:
        return None
    if _sse(points, labels) > (1 + WARM_TOLERANCE) * _sse(points, cold):
        return None
    return labels


def _choose_groups(
    points: np.ndarray,
    seed: int,
    k_values: range,
    previous: np.ndarray | None = None,
) -> tuple[np.ndarray, float | None, float | None, bool]:
    """Labels, silhouette and subsample stability of the chosen k, and whether
    the groups are the warm-started ones.

    For each k, the least-squares split with no group smaller than
    ``min_group_size`` (see ``_split``); k values with no such split are not
    candidates. Then the fewest groups whose silhouette is within
    ``SILHOUETTE_SHARE`` of the best: a planner reads two clear groups more
    easily than four marginally "better" ones, and fewer groups come out the
    same when voters are left out (the stability of the choice is measured and
    returned, not assumed). With no candidate at all (too few participants to
    split), everyone is in one group.

    With ``previous`` (each row's group in the previous run, -1 for none)
    holding as many groups among the rows as the k chosen, that split is
    replaced by the warm-started one when it is as good (see
    ``_warm_split``). k itself is chosen on the cold splits: a warm split
    with a lower silhouette does not change the number of groups (keeping
    the previous k instead, as Pol.is's smoother does, held
    affordable-housing at three groups over all its runs; see
    docs/insights-cli.md).
    """
    n_distinct = len(np.unique(np.round(points, 8), axis=0))
    min_size = min_group_size(len(points))
    tried: list[tuple[int, float, np.ndarray]] = []
    for k in k_values:
        # k may equal the number of distinct points (camps of identical voters).
        if k > n_distinct or k * min_size > len(points):
            break
        labels = _split(points, k, min_size, np.random.default_rng([seed, k]))
        if labels is None:
            continue
        tried.append((k, float(silhouette_score(points, labels)), labels))
    if not tried:
        return np.zeros(len(points), dtype=np.int64), None, None, False
    top = max(t[1] for t in tried)
    floor = top * SILHOUETTE_SHARE if top > 0 else top
    k, score, labels = min((t for t in tried if t[1] >= floor), key=lambda t: t[0])
    warm = None
    if previous is not None and len(np.unique(previous[previous >= 0])) == k:
        warm = _warm_split(points, previous, labels, min_size)
    if warm is not None:
        labels, score = warm, float(silhouette_score(points, warm))
    stable = subsample_stability(points, labels, k, seed)
    return labels.astype(np.int64), score, stable, warm is not None


def _polis_projection(
    values: np.ndarray, keep_cols: list[int], kept: np.ndarray
) -> tuple[np.ndarray, tuple[float, ...]]:
    """2-D points of the ``kept`` rows and the PCA's explained variance ratios.

    As polismath computes them: moderated-out columns (those not in
    ``keep_cols``) become zeros for everybody; unseen votes are imputed with
    the column mean; the PCA is fitted on every participant with a vote (Pol.is
    fits it on the whole rating matrix, not just the grouped participants); a
    point is the centred votes times the components, pushed out from the
    centre by sqrt(n_columns / n_answered), the zero columns counting as
    answered. The push-out offsets the imputation, which pulls participants who
    answered little towards the centre.
    """
    rating = values.copy()
    out_cols = np.setdiff1d(np.arange(values.shape[1]), keep_cols)
    rating[:, out_cols] = 0.0
    answered = (~np.isnan(rating)).sum(axis=1)
    voters = np.flatnonzero((~np.isnan(values)).any(axis=1))
    col_mean = np.nan_to_num(
        np.nanmean(
            np.where(np.isnan(rating[voters]).all(axis=0), 0.0, rating[voters]), axis=0
        )
    )
    filled = np.where(np.isnan(rating), col_mean[None, :], rating)
    # Eigenvectors of the comments x comments covariance: same components as
    # the full SVD, at a cost that does not grow with the number of voters.
    pca = PCA(n_components=2, svd_solver="covariance_eigh").fit(filled[voters])
    points = pca.transform(filled[kept])
    points *= np.sqrt(rating.shape[1] / np.maximum(answered[kept], 1))[:, None]
    return points, tuple(float(x) for x in pca.explained_variance_ratio_)


def opinion_groups(
    matrix: VoteMatrix,
    seed: int = 0,
    min_votes: int = 7,
    k_values: range = range(2, 6),
    exclude_comments: Collection[str] = (),
    n_representative: int = 5,
    n_consensus: int = 5,
    n_divisive: int = 5,
    previous: Mapping[str, int] | None = None,
) -> OpinionGroups:
    """Pol.is-style opinion groups of a participant x comment vote matrix.

    Participants with fewer than ``min(min_votes, n_comments)`` votes are left
    out (they get no group and no coordinates). ``exclude_comments`` are
    comments moderated out: never representative, consensus or divisive, and
    zero columns in the projection as in Pol.is. Group ids are ordered by
    size, largest first. With fewer than 4 kept participants or 2 comments
    everyone kept is in group 0.

    Groups: k-means on the 2-D points, k from ``k_values``; for each k the
    least sum of squares with no group smaller than ``min_group_size``
    (max(3, 5 % of the grouped participants)): for k = 2 the best split by a
    line over ``N_ANGLES`` directions; for more the best of ``N_INIT``
    seeded starts; k values with no admissible split left out; then the
    fewest groups whose silhouette is
    within ``SILHOUETTE_SHARE`` (85 %) of the best, so more than two groups
    only when they stand clearly apart. When no k can be split that way
    (fewer than 6 participants, say) everyone is in group 0.

    ``previous``: the previous run's groups (participant id -> group id), as
    a report re-run on new votes has them. When the number of groups chosen
    (on the cold splits, as without ``previous``) is the number of previous
    groups among the participants placed now, k-means is started from the
    centres of their members (see ``_warm_split``) and that split stands in
    for the cold one when it is admissible and within ``WARM_TOLERANCE`` of
    its sum of squares; otherwise the cold groups. Either way the group ids
    then follow the previous ones (matched by most members in common)
    instead of the sizes, so group 0 stays group 0. Ids or groups that do not
    fit (not a whole number, a participant not placed now) are ignored.

    Representative comments per group: votes in the group differ
    from everyone else's (Pol.is repness: pseudocounted rate and ratio, both
    significant at 90 %). Consensus: group-informed consensus, the product
    over groups of (agree + 1) / (seen + 2), among comments most of every group
    agrees with. Divisive: the largest spread of that agree rate across groups.
    """
    excluded = set(exclude_comments)
    keep_cols = [j for j, c in enumerate(matrix.comment_ids) if c not in excluded]
    comment_ids = [matrix.comment_ids[j] for j in keep_cols]
    values = matrix.values[:, keep_cols] if len(keep_cols) else matrix.values[:, :0]
    n_comments = len(comment_ids)
    n_votes = (~np.isnan(values)).sum(axis=1)
    kept = np.flatnonzero(n_votes >= max(1, min(min_votes, n_comments)))
    pids = [matrix.participant_ids[i] for i in kept]
    votes = values[kept]
    if len(pids) == 0 or n_comments == 0:
        return OpinionGroups(
            groups=(), assignments={}, coordinates={}, consensus=(), divisive=()
        )
    explained: tuple[float, ...] = ()
    silhouette: float | None = None
    stability: float | None = None
    warm = False
    labels = np.zeros(len(pids), dtype=np.int64)
    before = _previous_labels(pids, previous)
    # One thread: on a few thousand 2-D points the BLAS and OpenMP threads of
    # the PCA and k-means cost far more than they save (vTaiwan, 1,921
    # voters: 9 s with them on a busy 2-core machine, under 1 s without).
    with threadpool_limits(limits=1):
        if len(pids) >= 3 and n_comments >= 2:
            points, explained = _polis_projection(matrix.values, keep_cols, kept)
        else:
            points = np.zeros((len(pids), 2))
        if len(pids) >= 4 and n_comments >= 2:
            labels, silhouette, stability, warm = _choose_groups(
                points, seed, k_values, before
            )
    labels = _renumber(labels, before)
    n_groups = int(labels.max()) + 1

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
        min_votes=max(1, min(min_votes, n_comments)),
        warm_start=warm,
    )


def _previous_labels(
    pids: list[str], previous: Mapping[str, int] | None
) -> np.ndarray | None:
    """Each participant's previous group id, -1 where there is none usable.

    None when nothing usable is left: no previous run, or none of its
    participants placed now. A stored report is read back from JSON, so a
    value that is not a whole number >= 0 counts as no group.
    """
    if not isinstance(previous, Mapping) or not previous:
        return None
    out = np.full(len(pids), -1, dtype=np.int64)
    for i, p in enumerate(pids):
        g = previous.get(p)
        if isinstance(g, int) and not isinstance(g, bool) and g >= 0:
            out[i] = g
    return out if (out >= 0).any() else None


def _renumber(labels: np.ndarray, before: np.ndarray | None) -> np.ndarray:
    """Group ids 0..k-1: the previous run's where the groups carry on, by size
    otherwise.

    Without ``before``, largest first (ties by first participant). With it,
    each group takes the previous id it shares most members with (one group
    per id, the assignment with the most members in common overall), and the
    groups left over take the ids left over, largest first: a group that
    carries on keeps its name from one report to the next.
    """
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
    n = len(ids)
    new_id: dict[int, int] = {}
    if before is not None:
        overlap = np.zeros((n, n), dtype=np.int64)
        for row, i in enumerate(order):
            members = before[labels == ids[i]]
            members = members[(members >= 0) & (members < n)]
            overlap[row] = np.bincount(members, minlength=n)
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        for row, col in zip(rows, cols, strict=True):
            if overlap[row, col] > 0:
                new_id[int(ids[order[row]])] = int(col)
    free = [g for g in range(n) if g not in new_id.values()]
    for i in order:
        if int(ids[i]) not in new_id:
            new_id[int(ids[i])] = free.pop(0)
    return np.array([new_id[int(x)] for x in labels], dtype=np.int64)


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


def rerun_on_draws(
    matrix: VoteMatrix,
    full: OpinionGroups,
    draws: int = STABILITY_DRAWS,
    share: float = STABILITY_SHARE,
    seed: int = 0,
    exclude_comments: Collection[str] = (),
    warm: bool = False,
) -> tuple[list[float], list[int]]:
    """The whole method (projection included) re-run on `draws` random `share`s of
    the participants: per draw, the ARI against `full` on the participants both
    place, and the number of groups found. What a planner asks of the groups:
    would a few voters fewer have given other groups? With ``warm`` each re-run
    starts from ``full``'s groups (``previous``), as a report re-run the next
    day starts from yesterday's: the same draws either way."""
    ids = matrix.participant_ids
    rng = np.random.default_rng(seed)
    scores, ks = [], []
    for _ in range(draws):
        keep = np.sort(rng.choice(len(ids), int(share * len(ids)), replace=False))
        sub = VoteMatrix(
            [ids[i] for i in keep], matrix.comment_ids, matrix.values[keep]
        )
        again = opinion_groups(
            sub,
            seed=int(rng.integers(1000)),
            exclude_comments=exclude_comments,
            previous=full.assignments if warm else None,
        )
        ks.append(len(again.groups))
        both = [p for p in again.assignments if p in full.assignments]
        scores.append(
            float(
                adjusted_rand_score(
                    [full.assignments[p] for p in both],
                    [again.assignments[p] for p in both],
                )
            )
        )
    return scores, ks
