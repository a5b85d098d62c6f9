"""Insight reports: one stored run of the pipeline on a campaign, with its parameters,
results, progress and the fitted cluster model that places ideas added later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


ACTIVE_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)


class InsightReportQuerySet(models.QuerySet["InsightReport"]):
    def succeeded(self) -> InsightReportQuerySet:
        return self.filter(status=ReportStatus.SUCCEEDED)

    def active(self) -> InsightReportQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


class InsightReport(models.Model):
    """One analysis of a campaign's published ideas (and votes), kept for comparison.

    ``results`` holds the pipeline's extended JSON plus what the report page and
    comparisons need (see insights.runner); ``model`` the serialised
    ClusterModel (plain numpy arrays, no pickle) that assigns later ideas.
    Shown to planners by insights.views; listed in the admin by wagtail_hooks.
    """

    campaign = models.ForeignKey(
        "ideas.CampaignPage",
        on_delete=models.CASCADE,
        related_name="insight_reports",
        verbose_name=_("campaign"),
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReportStatus.choices,
        default=ReportStatus.QUEUED,
    )
    error = models.TextField(_("error"), blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=120, blank=True)
    trigger = models.CharField(
        _("started by"),
        max_length=10,
        choices=[
            ("planner", _("a planner")),
            ("nightly", _("the nightly run")),
            ("closing", _("the campaign closing")),
        ],
        default="planner",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The newest idea id analysed: ideas above it are "new since this report".
    last_idea_id = models.BigIntegerField(null=True, blank=True, editable=False)
    n_ideas = models.PositiveIntegerField(_("ideas analysed"), default=0)
    n_clusters = models.PositiveSmallIntegerField(_("clusters"), default=0)
    n_participants = models.PositiveIntegerField(_("voters in groups"), default=0)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The report this one is compared with."),
    )
    results = models.JSONField(_("results"), default=dict, blank=True)
    # Ideas placed by the model after the run, and whether they fit it badly
    # enough that a full re-run is recommended (ClusterModel.drift).
    assigned_since = models.PositiveIntegerField(_("ideas assigned since"), default=0)
    fit_degraded = models.BooleanField(_("re-run recommended"), default=False)
    model = models.BinaryField(_("cluster model"), null=True, blank=True)

    objects = InsightReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["campaign", "status", "-created_at"],
                name="insight_campaign_status_idx",
            )
        ]
        constraints = [
            # One analysis at a time per campaign, whatever races the buttons.
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(status__in=["queued", "running"]),
                name="insights_one_active_report_per_campaign",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="insights_progress_at_most_100"
            ),
        ]
        verbose_name = _("insight report")
        verbose_name_plural = _("insight reports")

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("insights:report", args=[self.pk])

    @property
    def topic(self) -> str:
        return f"insights.report.{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == ReportStatus.SUCCEEDED

    def clusters(self) -> list[dict[str, Any]]:
        """The report's clusters; a catch-all one is labelled "Other topics" in
        the reader's language (the pipeline stores only the flag that says so)."""
        out = []
        for c in (self.results.get("text") or {}).get("clusters", []):
            if c.get("other"):
                c = {**c, "label": str(_("Other topics"))}
            out.append(c)
        return out

    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ReportCluster(models.Model):
    """One cluster of a report as a row, so reports can be compared and listed in SQL."""

    report = models.ForeignKey(
        InsightReport, on_delete=models.CASCADE, related_name="cluster_rows"
    )
    number = models.PositiveSmallIntegerField(_("cluster"))
    label = models.CharField(_("label"), max_length=200)
    keywords = models.JSONField(default=list)
    size = models.PositiveIntegerField(_("ideas"))
    distinct_authors = models.PositiveIntegerField(default=0)
    total_supports = models.PositiveIntegerField(default=0)
    few_voices = models.BooleanField(default=False)
    # Comparison with the previous report (null: a new topic since then).
    previous_number = models.PositiveSmallIntegerField(null=True, blank=True)
    previous_size = models.PositiveIntegerField(null=True, blank=True)
    new_ideas = models.PositiveIntegerField(
        default=0, help_text=_("Members proposed after the previous report.")
    )

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="insights_cluster_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.number} {self.label}"

    @property
    def growth(self) -> int | None:
        return None if self.previous_size is None else self.size - self.previous_size


class IdeaAssignment(models.Model):
    """Which cluster of a report an idea belongs to: at fit time, or assigned later
    by the report's cluster model (``later=True``) without a full re-run."""

    report = models.ForeignKey(
        InsightReport, on_delete=models.CASCADE, related_name="assignments"
    )
    idea = models.ForeignKey(
        "ideas.Idea", on_delete=models.CASCADE, related_name="insight_assignments"
    )
    cluster = models.PositiveSmallIntegerField(_("cluster"))
    # Cosine to the cluster's centre, kept for ideas assigned later (drift checks).
    similarity = models.FloatField(null=True, blank=True)
    later = models.BooleanField(_("assigned after the run"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "idea"], name="insights_assign_idea_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["report", "cluster"], name="insight_assign_cluster_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id}: idea {self.idea_id} -> {self.cluster}"


class IdeaEmbedding(models.Model):
    """An idea's sentence embedding, computed once when it is written or edited.

    ``vector`` holds little-endian float32 bytes (a BinaryField works the same on
    SQLite and PostgreSQL); ``text_hash`` is the SHA-256 of the text embedded, so
    a save that did not change the words costs no new embedding. Written by
    insights.actions.do_store_embeddings; read by insights.runner.
    """

    idea = models.OneToOneField(
        "ideas.Idea",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="insight_embedding",
    )
    backend = models.CharField(_("model"), max_length=40)
    text_hash = models.CharField(max_length=64)
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("idea embedding")

    def __str__(self) -> str:
        return f"idea {self.idea_id} ({self.backend})"

    def as_array(self) -> Any:
        import numpy as np

        return np.frombuffer(bytes(self.vector), dtype="<f4")
