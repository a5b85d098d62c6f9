"""One analysis of a campaign, stage by stage: read ideas and votes, run the pipeline,
compare with the previous report and break the figures down by stakeholder group.

It only reads the database and reports how far it has come through a callback;
insights.tasks wires the callback and the outcome to the actions that write.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from ideas.models import CampaignPage, Idea, Support, Vote

from . import embeddings
from .models import IdeaAssignment, InsightReport
from .pipeline import (
    ClusterModel,
    Document,
    VoteMatrix,
    analyse_texts,
    analyse_votes,
    opinion_groups_to_json,
)
from .pipeline.opinions import WARM_TOLERANCE

Progress = Callable[[int, str], None]

# Percent reached when each stage finishes; the pipeline names its own stages.
STAGES: dict[str, tuple[int, Any]] = {
    "read": (10, _("Ideas read")),
    "vectorise": (35, _("Texts turned into vectors")),
    "cluster": (55, _("Topics found")),
    "label": (62, _("Topics labelled")),
    "summarise": (70, _("Summaries written")),
    "duplicates": (75, _("Near-duplicates found")),
    "opinions": (85, _("Opinion groups found")),
    "segments": (90, _("Stakeholder groups counted")),
    "compare": (95, _("Compared with the previous report")),
}
# A matched cluster must draw at least this share of its ideas from one earlier one.
MATCH_SHARE = 0.4
FIT_TOLERANCE = 0.75
MAX_K = 30


@dataclass
class Outcome:
    """What a run produced, ready for actions.do_finish_report to store."""

    results: dict[str, Any]
    model: bytes | None
    assignments: dict[int, int]  # idea id -> cluster
    clusters: list[dict[str, Any]] = field(default_factory=list)  # ReportCluster rows
    last_idea_id: int | None = None
    n_participants: int = 0


def idea_text(title: str, description: str) -> str:
    return f"{title}. {description}".strip()


def _campaign_ideas(campaign: CampaignPage, filters: dict[str, Any]) -> Any:
    qs = Idea.objects.public().filter(campaign=campaign)
    states = [s for s in filters.get("states") or [] if isinstance(s, str)]
    if states:
        qs = qs.filter(state__in=states)
    category = filters.get("category")
    if category:
        qs = qs.filter(categories__slug=str(category))
    return qs


def read_documents(
    campaign: CampaignPage, filters: dict[str, Any]
) -> tuple[list[Document], dict[str, str]]:
    """The campaign's published ideas as pipeline documents, plus each idea's
    author's declared stakeholder group (idea id -> group, "" if none)."""
    approval = "agree_count" if campaign.uses_votes else "support_count"
    rows = (
        _campaign_ideas(campaign, filters)
        .order_by("pk")
        .values_list(
            "pk",
            "title",
            "description",
            "author_id",
            approval,
            "state",
            "created_at",
            "lat",
            "lon",
            "author__stakeholder_group",
        )
        .distinct()
    )
    docs, groups = [], {}
    for pk, title, desc, author, supports, state, created, lat, lon, group in rows:
        docs.append(
            Document(
                id=str(pk),
                text=idea_text(title, desc),
                title=title,
                author_id=str(author) if author else None,
                supports=supports,
                state=state,
                created=created,
                lat=lat,
                lon=lon,
            )
        )
        groups[str(pk)] = group or ""
    return docs, groups


def voter_pseudonym(campaign_id: int, user_id: int) -> str:
    """A voter's name in a campaign's stored reports.

    The same in every report of the campaign, so a report can start from the
    previous one's opinion groups (numbering the voters 1, 2, ... shifted all
    the names after the first vote of an older account); unrelated across
    campaigns; and not the account id: a keyed hash (HMAC-SHA256 with
    SECRET_KEY). A new SECRET_KEY gives new names, and the next report starts
    its groups afresh.
    """
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"insights-voter:{campaign_id}:{user_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"v{digest[:16]}"


def read_vote_matrix(
    idea_ids: list[str], campaign_id: int
) -> tuple[VoteMatrix, dict[str, str]]:
    """Participant x idea votes, participants named by ``voter_pseudonym``.

    Returns the matrix and each pseudonym's declared stakeholder group; the
    stored report never holds account ids of voters.
    """
    column = {pk: i for i, pk in enumerate(idea_ids)}
    rows = (
        Vote.objects.filter(idea_id__in=[int(i) for i in idea_ids])
        .order_by("user_id")
        .values_list("user_id", "idea_id", "choice", "user__stakeholder_group")
    )
    participants: dict[int, int] = {}
    names: list[str] = []
    groups: dict[str, str] = {}
    cells: list[tuple[int, int, int]] = []
    for user_id, idea_id, choice, group in rows.iterator(chunk_size=5000):
        row = participants.setdefault(user_id, len(participants))
        if row == len(names):
            names.append(voter_pseudonym(campaign_id, user_id))
        groups[names[row]] = group or ""
        cells.append((row, column[str(idea_id)], choice))
    values = np.full((len(participants), len(idea_ids)), np.nan)
    for row, col, choice in cells:
        values[row, col] = choice
    matrix = VoteMatrix(
        participant_ids=names,
        comment_ids=list(idea_ids),
        values=values,
    )
    return matrix, groups


def _overview(text: dict[str, Any]) -> dict[str, Any]:
    weeks: Counter[str] = Counter()
    states: Counter[str] = Counter()
    for c in text["clusters"]:
        weeks.update(c["stats"]["weeks"])
        states.update(c["stats"]["states"])
    return {"weeks": dict(sorted(weeks.items())), "states": dict(states)}


def _segments(
    campaign: CampaignPage,
    assignments: dict[str, int],
    idea_groups: dict[str, str],
    opinions: dict[str, Any] | None,
    voter_groups: dict[str, str],
) -> dict[str, Any]:
    """Cluster sizes and approval by declared stakeholder group."""
    sizes: dict[str, Counter[str]] = defaultdict(Counter)
    for idea_id, cluster in assignments.items():
        sizes[str(cluster)][idea_groups.get(idea_id) or "undeclared"] += 1
    ids = [int(i) for i in assignments]
    approval: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"agree": 0, "disagree": 0, "pass": 0})
    )
    if campaign.uses_votes:
        rows = (
            Vote.objects.filter(idea_id__in=ids)
            .values_list("idea_id", "user__stakeholder_group", "choice")
            .annotate(n=Count("id"))
            .order_by()
        )
        names = {1: "agree", -1: "disagree", 0: "pass"}
        for idea_id, group, choice, n in rows:
            cell = approval[str(assignments[str(idea_id)])][group or "undeclared"]
            cell[names[choice]] += n
    else:
        supports = (
            Support.objects.filter(idea_id__in=ids)
            .values_list("idea_id", "user__stakeholder_group")
            .annotate(n=Count("id"))
            .order_by()
        )
        for idea_id, group, n in supports:
            approval[str(assignments[str(idea_id)])][group or "undeclared"][
                "agree"
            ] += n
    opinion_groups: dict[str, Counter[str]] = defaultdict(Counter)
    if opinions:
        for participant, group in opinions["participants"].items():
            opinion_groups[str(group)][
                voter_groups.get(participant) or "undeclared"
            ] += 1
    declared = any(g for g in idea_groups.values()) or any(
        g for g in voter_groups.values()
    )
    if not campaign.uses_votes:
        declared = declared or any(
            g != "undeclared" for cells in approval.values() for g in cells
        )
    return {
        "available": bool(declared),
        "sizes": {k: dict(v) for k, v in sizes.items()},
        "approval": {
            k: {g: dict(c) for g, c in v.items()} for k, v in approval.items()
        },
        "opinion_groups": {k: dict(v) for k, v in opinion_groups.items()},
    }


def _compare(
    report: InsightReport,
    previous: InsightReport | None,
    docs: list[Document],
    assignments: dict[str, int],
    clusters: list[dict[str, Any]],
) -> dict[str, Any]:
    """Match each cluster to the earlier cluster most of its ideas came from.

    Ideas the previous report saw keep their earlier cluster; ideas it did not see
    are placed with the previous report's own model (its centroids), so a topic
    that only gained new ideas is still recognised as the same topic.
    """
    if previous is None:
        return {"previous_id": None, "clusters": {}, "faded": [], "new_ideas": 0}
    before = dict(
        IdeaAssignment.objects.filter(report=previous).values_list("idea_id", "cluster")
    )
    unseen = [d for d in docs if int(d.id) not in before]
    if unseen and previous.model:
        model = ClusterModel.from_bytes(bytes(previous.model))
        placed, sims = model.assign_many([d.text for d in unseen])
        # An idea far from every earlier centre belongs to no earlier topic:
        # the same tolerance as ClusterModel.drift.
        floor = model.fit_mean_similarity * FIT_TOLERANCE
        for d, c, sim in zip(unseen, placed.tolist(), sims.tolist(), strict=True):
            if c >= 0 and sim >= floor:
                before[int(d.id)] = c
    prev_clusters = {c["id"]: c for c in previous.clusters()}
    last = previous.last_idea_id or 0
    members: dict[int, list[str]] = defaultdict(list)
    for idea_id, c in assignments.items():
        members[c].append(idea_id)
    out: dict[str, Any] = {}
    # Each earlier topic's successor is the cluster that took most of its ideas;
    # other clusters drawn mainly from it are parts split off it.
    candidates: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for c in clusters:
        ids = members[c["id"]]
        origins = Counter(before[int(i)] for i in ids if int(i) in before)
        out[str(c["id"])] = {
            "new_ideas": sum(1 for i in ids if int(i) > last),
            "previous": None,
        }
        if origins:
            origin, n = origins.most_common(1)[0]
            if n / len(ids) >= MATCH_SHARE and origin in prev_clusters:
                candidates[origin].append((n, c["id"]))
    matched: set[int] = set()
    sizes = {c["id"]: c["size"] for c in clusters}
    for origin, claims in candidates.items():
        prev = prev_clusters[origin]
        claims.sort(reverse=True)
        for rank, (n, cid) in enumerate(claims):
            entry = out[str(cid)]
            entry.update(
                previous=origin,
                previous_label=prev["label"],
                previous_size=prev["size"],
                share=round(n / sizes[cid], 3),
            )
            if rank == 0:
                matched.add(origin)
                entry["growth"] = sizes[cid] - prev["size"]
            else:
                entry["split"] = True
    faded = [
        {"id": p["id"], "label": p["label"], "size": p["size"]}
        for p in prev_clusters.values()
        if p["id"] not in matched
    ]
    return {
        "previous_id": previous.pk,
        "previous_created": previous.created_at.isoformat(),
        "clusters": out,
        "faded": faded,
        "new_ideas": sum(1 for d in docs if int(d.id) > last),
    }


def previous_opinion_groups(previous: InsightReport | None) -> dict[str, Any] | None:
    """The opinion groups (voter pseudonym -> group id) of ``previous``, for
    the next report to start from; None when it has none."""
    opinions = (previous.results or {}).get("opinions") if previous else None
    members = opinions.get("participants") if isinstance(opinions, dict) else None
    return members if isinstance(members, dict) and members else None


def previous_report(report: InsightReport) -> InsightReport | None:
    return (
        InsightReport.objects.succeeded()
        .filter(campaign_id=report.campaign_id, created_at__lte=report.created_at)
        .exclude(pk=report.pk)
        .order_by("-created_at", "-id")
        .first()
    )


def run(report: InsightReport, progress: Progress) -> Outcome:
    """Run every stage for ``report`` and return what to store."""

    def step(stage: str) -> None:
        percent, text = STAGES[stage]
        progress(percent, str(text))

    campaign = report.campaign
    params = report.parameters or {}
    k = params.get("k")
    n_clusters = int(k) if isinstance(k, int) and 1 <= k <= MAX_K else None
    seed = int(params.get("seed") or 0)
    docs, idea_groups = read_documents(campaign, params.get("filters") or {})
    step("read")

    def pipeline_stage(stage: str) -> None:
        if stage in STAGES:
            step(stage)

    # Vectors stored when each idea was written; the encoder fills in any missing.
    encoder = embeddings.encoder()
    stored = None
    if encoder is not None:
        stored = embeddings.stored_vectors([d.id for d in docs], [d.text for d in docs])
    analysis = analyse_texts(
        docs,
        n_clusters=n_clusters if n_clusters is None else min(n_clusters, len(docs)),
        seed=seed,
        progress=pipeline_stage,
        embeddings=stored,
        encoder=encoder,
    )
    text = analysis.to_json(extended=True)
    opinions: dict[str, Any] | None = None
    voter_groups: dict[str, str] = {}
    previous = previous_report(report)
    if campaign.uses_votes and docs:
        matrix, voter_groups = read_vote_matrix([d.id for d in docs], campaign.pk)
        # Yesterday's groups stay today's where today's votes allow: a planner
        # who re-runs the report should not see the groups turn for a few votes.
        groups = analyse_votes(
            matrix,
            seed=seed,
            min_votes=min(7, len(docs)),
            previous=previous_opinion_groups(previous),
        )
        opinions = opinion_groups_to_json(groups, extended=True)
        opinions["silhouette"] = groups.silhouette
        opinions["warm_tolerance"] = WARM_TOLERANCE
        opinions["n_voters"] = len(matrix.participant_ids)
        mentioned = {
            *opinions["consensus"],
            *opinions["divisive"],
            *(i for g in opinions["groups"] for i in g["representative"]),
        }
        counts = Idea.objects.filter(pk__in=[int(i) for i in mentioned]).values_list(
            "pk", "title", "agree_count", "disagree_count", "pass_count"
        )
        opinions["ideas"] = {
            str(pk): {"title": t, "agree": a, "disagree": d, "pass": p}
            for pk, t, a, d, p in counts
        }
        step("opinions")

    segments = _segments(
        campaign, analysis.assignments, idea_groups, opinions, voter_groups
    )
    step("segments")
    comparison = _compare(
        report, previous, docs, analysis.assignments, text["clusters"]
    )
    step("compare")

    results = {
        "format": 1,
        "text": text,
        "k_chosen_automatically": analysis.k_chosen_automatically,
        "k_scores": {str(k): v for k, v in analysis.k_scores.items()},
        "backend": analysis.backend,
        "embedded_now": analysis.embedded_now,
        "timings": analysis.timings,
        "overview": _overview(text),
        "opinions": opinions,
        "segmentation": segments,
        "comparison": comparison,
    }
    # The model is only worth keeping if it has clusters to assign to.
    model = analysis.model.to_bytes() if analysis.model.n_clusters else None
    comparison_clusters = comparison["clusters"]
    rows = []
    for c in text["clusters"]:
        comp = comparison_clusters.get(str(c["id"]), {})
        rows.append(
            {
                "number": c["id"],
                "label": c["label"][:200],
                "keywords": c["keywords"],
                "size": c["size"],
                "distinct_authors": c["stats"]["distinct_authors"],
                "total_supports": c["stats"]["total_supports"],
                "few_voices": c["stats"]["few_voices"],
                "previous_number": comp.get("previous"),
                "previous_size": comp.get("previous_size")
                if "growth" in comp
                else None,
                "new_ideas": comp.get("new_ideas", 0),
            }
        )
    return Outcome(
        results=_finite(results),
        model=model,
        assignments={int(i): c for i, c in analysis.assignments.items()},
        clusters=rows,
        last_idea_id=max((int(d.id) for d in docs), default=None),
        n_participants=len((opinions or {}).get("participants", {})),
    )


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: replace them with null before storing."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
