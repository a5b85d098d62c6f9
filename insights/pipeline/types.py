"""Plain data classes that go in and out of the insights pipeline.

They hold only standard types and numpy arrays so that the Django side can build
them from model rows and store the results without importing scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Document:
    """One idea or comment written by a resident.

    ``id`` is a string so that database keys, Pol.is comment ids and UUIDs all
    round-trip through JSON object keys unchanged.
    """

    id: str
    text: str
    author_id: str | None = None
    supports: int = 0
    state: str | None = None
    created: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    # The idea's title when ``text`` starts with it, so a summary line can show
    # the title once and then the body's best sentence.
    title: str | None = None


@dataclass(frozen=True)
class SummaryLine:
    """One line of a cluster summary and the ideas it stands for.

    ``idea_ids[0]`` is the representative whose words make ``text``; the other
    ids are the members closest to it, so every line links back to residents.
    """

    text: str
    idea_ids: tuple[str, ...]


@dataclass(frozen=True)
class ClusterStats:
    """Figures about one cluster for the planners' report."""

    size: int
    distinct_authors: int
    top_author_share: float
    total_supports: int
    states: dict[str, int]
    weeks: dict[str, int]
    bbox: (
        tuple[float, float, float, float] | None
    )  # (min_lat, min_lon, max_lat, max_lon)
    centroid: tuple[float, float] | None  # (lat, lon) mean of located ideas
    located: int
    few_voices: bool
    few_voices_reason: str | None = None


@dataclass(frozen=True)
class Cluster:
    """A topic cluster: members, keywords, a readable label and its summary."""

    id: int
    label: str
    keywords: tuple[str, ...]
    members: tuple[str, ...]
    summary: tuple[SummaryLine, ...]
    stats: ClusterStats
    coherence: float  # mean cosine similarity of members to the centroid
    # A loose "everything else" cluster, labelled "Other topics" (see label.py).
    catch_all: bool = False

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class DuplicatePair:
    """Two ideas that say nearly the same thing; ``score`` is a cosine in [0, 1]."""

    id_a: str
    id_b: str
    score: float


@dataclass(frozen=True)
class ClusterReport:
    """Clusters of a corpus plus document-level assignments."""

    clusters: tuple[Cluster, ...]
    assignments: dict[str, int]
    k_chosen_automatically: bool
    silhouette: float | None


@dataclass(frozen=True)
class DriftReport:
    """How well newly assigned ideas still fit the clusters found at fit time."""

    n_new: int
    fit_mean_similarity: float
    new_mean_similarity: float
    ratio: float
    degraded: bool


@dataclass
class VoteMatrix:
    """Participant x comment votes: 1 agree, -1 disagree, 0 pass, NaN unseen."""

    participant_ids: list[str]
    comment_ids: list[str]
    values: np.ndarray  # float64, shape (n_participants, n_comments)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.participant_ids), len(self.comment_ids))


@dataclass(frozen=True)
class RepresentativeComment:
    """A comment that sets a group apart (Pol.is "repness")."""

    comment_id: str
    direction: str  # "agree" or "disagree"
    group_rate: float  # share of the group that voted that way (with pseudocounts)
    other_rate: float  # same share among everyone outside the group
    ratio: float
    z: float


@dataclass(frozen=True)
class OpinionGroup:
    """One opinion group of participants."""

    id: int
    participant_ids: tuple[str, ...]
    representative: tuple[RepresentativeComment, ...]

    @property
    def size(self) -> int:
        return len(self.participant_ids)


@dataclass(frozen=True)
class OpinionGroups:
    """Result of the Pol.is-style opinion group analysis."""

    groups: tuple[OpinionGroup, ...]
    assignments: dict[str, int]  # participant id -> group id (clustered ones only)
    coordinates: dict[str, tuple[float, float]]  # participant id -> 2-D position
    consensus: tuple[str, ...]  # comment ids, most consensual first
    divisive: tuple[str, ...]  # comment ids, most divisive first
    consensus_scores: dict[str, float] = field(default_factory=dict)
    silhouette: float | None = None
    explained_variance: tuple[float, ...] = ()
    # Mean ARI of the groups against re-runs on 95 % of the voters (10 draws).
    stability: float | None = None
    min_votes: int = 7  # voters with fewer votes were left out
    # The groups were started from the previous run's (``previous`` given and
    # the warm-started split kept); False for the cold least-squares groups.
    warm_start: bool = False
