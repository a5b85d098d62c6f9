"""Agora insights pipeline: pure-Python analysis behind the planners' reports.

Stages (numpy, scipy and scikit-learn only; no Django):

* ``vectorise``: any-language texts -> unit vectors (char + word TF-IDF, LSA).
* ``embed``: multilingual sentence embeddings from a packaged model (optional).
* ``spectral``: topics by spectral clustering of character LSA + embeddings on
  a 16-NN graph, k by modularity.
* ``cluster``: :class:`ClusterModel` that assigns new ideas and tells when a
  re-run is due (and the older k-means helpers).
* ``label``: c-TF-IDF keywords (CJK-aware) and short labels.
* ``summarise``: MMR representative ideas, each line listing the ideas it
  stands for, and cluster figures (authors, supports, states, weeks, places).
* ``duplicates``: near-duplicate pairs and :class:`SimilarityIndex`.
* ``opinions``: Pol.is-style opinion groups from agree/disagree/pass votes.
* ``polis``: readers for Pol.is export CSVs.
* ``analyse``: end-to-end runs and the JSON printed by the management commands.
"""

from .analyse import (
    TextAnalysis,
    analyse_polis_export,
    analyse_texts,
    analyse_texts_json,
    analyse_votes,
    analyse_votes_json,
    opinion_groups_to_json,
)
from .cluster import ClusterModel, choose_k, cluster_vectors
from .duplicates import SimilarityIndex, find_duplicates, most_similar
from .embed import SentenceEncoder, backend_name, load_encoder
from .label import cluster_keywords, make_label
from .opinions import opinion_groups
from .polis import (
    ParticipantsVotes,
    PolisComment,
    PolisVote,
    comments_to_documents,
    last_votes,
    read_comments,
    read_last_votes,
    read_participants_votes,
    read_votes,
    votes_to_matrix,
)
from .spectral import combine, spectral_topics
from .summarise import cluster_stats, mmr_select, summarise_cluster
from .types import (
    Cluster,
    ClusterReport,
    ClusterStats,
    Document,
    DriftReport,
    DuplicatePair,
    OpinionGroup,
    OpinionGroups,
    RepresentativeComment,
    SummaryLine,
    VoteMatrix,
)
from .vectorise import LsaVectoriser, Vectoriser, tokenize

__all__ = [
    "Cluster",
    "ClusterModel",
    "ClusterReport",
    "ClusterStats",
    "Document",
    "DriftReport",
    "DuplicatePair",
    "LsaVectoriser",
    "OpinionGroup",
    "OpinionGroups",
    "ParticipantsVotes",
    "PolisComment",
    "PolisVote",
    "RepresentativeComment",
    "SentenceEncoder",
    "SimilarityIndex",
    "SummaryLine",
    "TextAnalysis",
    "Vectoriser",
    "VoteMatrix",
    "analyse_polis_export",
    "analyse_texts",
    "analyse_texts_json",
    "analyse_votes",
    "analyse_votes_json",
    "backend_name",
    "choose_k",
    "cluster_keywords",
    "cluster_stats",
    "cluster_vectors",
    "combine",
    "comments_to_documents",
    "find_duplicates",
    "last_votes",
    "load_encoder",
    "make_label",
    "mmr_select",
    "most_similar",
    "opinion_groups",
    "opinion_groups_to_json",
    "read_comments",
    "read_last_votes",
    "read_participants_votes",
    "read_votes",
    "spectral_topics",
    "summarise_cluster",
    "tokenize",
    "votes_to_matrix",
]
