"""Every change of state in insights goes through here: starting an analysis, its
progress, its outcome, and placing ideas added since a report in its clusters.

`check_*` enforces permission and rules with a message a planner can act on;
`do_*` writes in one transaction and publishes on `insights.report.<id>` after
commit. The task worker calls the progress actions in small transactions of
their own so that the bar moves while the analysis runs.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from ideas.models import CampaignPage, Idea
from live import publish_on_commit

from .models import (
    IdeaAssignment,
    IdeaEmbedding,
    InsightReport,
    ReportCluster,
    ReportStatus,
)

if TYPE_CHECKING:
    # scikit-learn and SciPy load only when an analysis runs or a report places
    # new ideas, not in every web process that imports the URLconf (about 1 s of
    # start-up and a third of a worker's memory).
    from .pipeline import ClusterModel
    from .runner import Outcome

logger = logging.getLogger(__name__)

MAX_CLUSTERS = 30
MAX_ERROR_LENGTH = 2000


class InsightError(Exception):
    """A refusal a planner can act on; the message is shown to them."""


def can_read_reports(user: Any) -> bool:
    """Planners and city administrators read insight reports; nobody else."""
    return bool(getattr(user, "is_authenticated", False)) and (
        has_role(user, Role.PLANNER) or has_role(user, Role.CITY_ADMIN)
    )


def check_read_reports(user: Any) -> None:
    if not can_read_reports(user):
        raise PermissionDenied(
            _(
                "Insight reports are for the city's planners. If you need to read "
                "them, ask a city administrator to give your account the Planner role."
            )
        )


def check_start_analysis(
    user: Any, campaign: CampaignPage, *, k: int | None = None
) -> None:
    check_read_reports(user)
    if k is not None and not 1 <= k <= MAX_CLUSTERS:
        raise InsightError(
            _("Choose between 1 and %(max)s topics, or leave it automatic.")
            % {"max": MAX_CLUSTERS}
        )
    if InsightReport.objects.active().filter(campaign=campaign).exists():
        raise InsightError(
            _(
                "An analysis of this campaign is already running. Wait for it to "
                "finish; its page shows how far it has come."
            )
        )
    if not Idea.objects.public().filter(campaign=campaign).exists():
        raise InsightError(_("This campaign has no published ideas to analyse yet."))


def do_start_analysis(
    user: Any,
    campaign: CampaignPage,
    *,
    k: int | None = None,
    seed: int = 0,
    filters: dict[str, Any] | None = None,
    trigger: str = "planner",
) -> InsightReport:
    """Create a queued report and run it in the background once this commits.

    ``user`` is None for scheduled runs (nightly, on closing), which skip the
    role check but not the one-at-a-time rule.
    """
    if user is not None:
        check_start_analysis(user, campaign, k=k)
    parameters: dict[str, Any] = {
        "k": k if k is not None else "auto",
        "seed": seed,
        "filters": filters or {},
    }
    try:
        with transaction.atomic():
            report = InsightReport.objects.create(
                campaign=campaign,
                parameters=parameters,
                created_by=user if user is not None else None,
                trigger=trigger,
                stage=_("Waiting for the task worker"),
            )
            _publish_progress(report)
    except IntegrityError as exc:
        # Two clicks (or a click and the nightly run) raced past the check.
        raise InsightError(
            _("An analysis of this campaign is already running.")
        ) from exc
    from .tasks import run_insight_report

    transaction.on_commit(lambda: run_insight_report.enqueue(report.pk))
    return report


def render_progress(report: InsightReport) -> str:
    """The progress section, by the same template the report page includes."""
    return render_to_string("insights/includes/progress.html", {"report": report})


def _publish_progress(report: InsightReport, announce: str | None = None) -> None:
    data: dict[str, Any] = {
        "counts": {"progress": report.progress},
        "html": render_progress(report),
        "mode": "replace",
        "dom_id": f"report-progress-{report.pk}",
    }
    if announce:
        data["announce"] = announce
    publish_on_commit(report.topic, "insights.progress", data)


def do_begin_report(report: InsightReport) -> bool:
    """Mark a queued report running; False if it is not queued any more."""
    with transaction.atomic():
        updated = InsightReport.objects.filter(
            pk=report.pk, status=ReportStatus.QUEUED
        ).update(
            status=ReportStatus.RUNNING,
            started_at=timezone.now(),
            progress=1,
            stage=_("Reading ideas"),
        )
        if not updated:
            return False
        report.refresh_from_db(fields=["status", "started_at", "progress", "stage"])
        _publish_progress(report, announce=report.stage)
    return True


def do_record_progress(report: InsightReport, percent: int, stage: str) -> None:
    """Store and publish how far a running analysis has come (its own transaction)."""
    percent = max(0, min(99, int(percent)))
    with transaction.atomic():
        InsightReport.objects.filter(pk=report.pk).update(
            progress=percent, stage=stage[:120]
        )
        report.progress, report.stage = percent, stage[:120]
        _publish_progress(report)


def do_finish_report(report: InsightReport, outcome: Outcome) -> InsightReport:
    """Store a run's results, its clusters and every idea's cluster in one go."""
    with transaction.atomic():
        report.results = outcome.results
        report.model = outcome.model
        report.last_idea_id = outcome.last_idea_id
        report.n_ideas = len(outcome.assignments)
        report.n_clusters = len(outcome.clusters)
        report.n_participants = outcome.n_participants
        report.previous_id = (outcome.results.get("comparison") or {}).get(
            "previous_id"
        )
        report.status = ReportStatus.SUCCEEDED
        report.progress = 100
        report.stage = _("Finished")
        report.finished_at = timezone.now()
        report.save()
        ReportCluster.objects.bulk_create(
            ReportCluster(report=report, **row) for row in outcome.clusters
        )
        IdeaAssignment.objects.bulk_create(
            (
                IdeaAssignment(report=report, idea_id=idea_id, cluster=cluster)
                for idea_id, cluster in outcome.assignments.items()
            ),
            batch_size=2000,
        )
        _publish_progress(
            report,
            announce=_("The analysis has finished: %(n)s topics in %(ideas)s ideas.")
            % {"n": report.n_clusters, "ideas": report.n_ideas},
        )
    return report


def do_fail_report(report: InsightReport, error: BaseException | str) -> None:
    with transaction.atomic():
        report.status = ReportStatus.FAILED
        report.error = str(error)[:MAX_ERROR_LENGTH] or error.__class__.__name__
        report.stage = _("Failed")
        report.finished_at = timezone.now()
        report.save(update_fields=["status", "error", "stage", "finished_at"])
        _publish_progress(report, announce=_("The analysis failed. Its page says why."))


# --- Ideas added after a report ---------------------------------------------


@lru_cache(maxsize=8)
def _cluster_model(report_id: int) -> ClusterModel | None:
    # A report's model never changes once stored, so caching by id is safe.
    data = (
        InsightReport.objects.filter(pk=report_id)
        .values_list("model", flat=True)
        .first()
    )
    from .pipeline import ClusterModel

    return ClusterModel.from_bytes(bytes(data)) if data else None


def latest_report(campaign_id: int) -> InsightReport | None:
    return (
        InsightReport.objects.succeeded()
        .filter(campaign_id=campaign_id, model__isnull=False)
        # The model (megabytes) is loaded once per process by _cluster_model.
        .defer("results", "model")
        .order_by("-created_at", "-id")
        .first()
    )


def do_assign_new_ideas(campaign_id: int) -> int:
    """Place published ideas newer than the campaign's latest report in its clusters.

    Milliseconds per idea (the stored model vectorises one text and compares it
    with the centroids); no full re-run. Also updates the report's
    ``fit_degraded`` flag from the new ideas' similarities. Returns how many
    ideas it placed.
    """
    from .runner import idea_text

    report = latest_report(campaign_id)
    if report is None:
        return 0
    model = _cluster_model(report.pk)
    if model is None or not model.n_clusters:
        return 0
    ideas = list(
        Idea.objects.public()
        .filter(campaign_id=campaign_id, pk__gt=report.last_idea_id or 0)
        .exclude(insight_assignments__report=report)
        .values_list("pk", "title", "description")
    )
    if not ideas:
        return 0
    clusters, sims = model.assign_many([idea_text(t, d) for _pk, t, d in ideas])
    with transaction.atomic():
        IdeaAssignment.objects.bulk_create(
            [
                IdeaAssignment(
                    report=report,
                    idea_id=pk,
                    cluster=int(c),
                    similarity=float(s),
                    later=True,
                )
                for (pk, _t, _d), c, s in zip(ideas, clusters, sims, strict=True)
            ],
            ignore_conflicts=True,
        )
        later = IdeaAssignment.objects.filter(report=report, later=True)
        sims_all = [
            s for s in later.values_list("similarity", flat=True) if s is not None
        ]
        drift = model.drift_from_similarities(sims_all)
        report.assigned_since = len(sims_all)
        report.fit_degraded = drift.degraded
        InsightReport.objects.filter(pk=report.pk).update(
            assigned_since=report.assigned_since, fit_degraded=report.fit_degraded
        )
        publish_on_commit(
            report.topic,
            "insights.ideas_assigned",
            {
                "counts": {"assigned": report.assigned_since},
                "html": render_to_string(
                    "insights/includes/assigned.html", {"report": report}
                ),
                "mode": "replace",
                "dom_id": f"report-assigned-{report.pk}",
            },
        )
    return len(ideas)


def do_store_embeddings(idea_ids: list[int]) -> int:
    """Embed the given ideas whose text changed since their stored vector.

    Called by the ``embed_ideas`` task after an idea is written or edited, and by
    ``manage.py embed_ideas`` for a backfill. Ideas whose stored vector already
    matches their text (same backend, same SHA-256) cost nothing. Returns how
    many vectors were written; 0 when the encoder is off or not installed.
    """
    from . import embeddings
    from .pipeline.embed import MODEL
    from .runner import idea_text

    model = embeddings.encoder()
    if model is None or not idea_ids:
        return 0
    rows = list(
        Idea.objects.filter(pk__in=idea_ids).values_list("pk", "title", "description")
    )
    texts = {pk: idea_text(title, desc) for pk, title, desc in rows}
    digests = {pk: embeddings.text_hash(text) for pk, text in texts.items()}
    current = set(
        IdeaEmbedding.objects.filter(
            idea_id__in=list(texts), backend=MODEL
        ).values_list("idea_id", "text_hash")
    )
    todo = [pk for pk in texts if (pk, digests[pk]) not in current]
    if not todo:
        return 0
    vectors = model.encode([texts[pk] for pk in todo]).astype("<f4")
    with transaction.atomic():
        IdeaEmbedding.objects.bulk_create(
            [
                IdeaEmbedding(
                    idea_id=pk,
                    backend=MODEL,
                    text_hash=digests[pk],
                    vector=vectors[i].tobytes(),
                    updated_at=timezone.now(),
                )
                for i, pk in enumerate(todo)
            ],
            update_conflicts=True,
            unique_fields=["idea"],
            update_fields=["backend", "text_hash", "vector", "updated_at"],
        )
    return len(todo)
