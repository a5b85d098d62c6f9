"""Planners' pages: reports per campaign, a report with its charts and maps, the
ideas behind each summary line, and the exports (CSV, JSON, printable page).

Every view asks actions.check_read_reports first: residents get a 403 that says
why, anonymous visitors the login page. Writes go through insights.actions.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from ideas.models import CampaignPage, Idea, IdeaState

from . import actions, charts
from .forms import StartAnalysisForm
from .models import IdeaAssignment, InsightReport

REPORTS_PER_PAGE = 20
CAMPAIGNS_PER_PAGE = 20
IDEAS_PER_PAGE = 50
MAP_POINTS_PER_CLUSTER = 100  # the most supported; the JSON export has all
DUPLICATES_SHOWN = 20
STAKEHOLDER_LABELS = dict(User.StakeholderGroup.choices)


def _campaign(pk: int) -> CampaignPage:
    campaign = CampaignPage.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def _report(request: HttpRequest, pk: int) -> InsightReport:
    actions.check_read_reports(request.user)
    return get_object_or_404(InsightReport.objects.select_related("campaign"), pk=pk)


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    """Every campaign with its latest report: the planners' entry point."""
    actions.check_read_reports(request.user)
    latest = InsightReport.objects.filter(campaign=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    qs = CampaignPage.objects.annotate(
        report_id=Subquery(latest.values("pk")[:1]),
        report_status=Subquery(latest.values("status")[:1]),
        report_created=Subquery(latest.values("created_at")[:1]),
        idea_total=Count("ideas", distinct=True),
    ).order_by("-first_published_at", "-id")
    page = Paginator(qs, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "insights/campaigns.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_reports(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    actions.check_read_reports(request.user)
    campaign = _campaign(campaign_pk)
    form = StartAnalysisForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        params = form.parameters()
        try:
            report = actions.do_start_analysis(
                request.user,
                campaign,
                k=params["k"],
                seed=params["seed"],
                filters=params["filters"],
            )
        except actions.InsightError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The analysis has started."))
            return redirect(report.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, _("Please correct the errors below."))
    reports = (
        InsightReport.objects.filter(campaign=campaign)
        .select_related("created_by")
        .defer("results", "model")
        .order_by("-created_at", "-id")
    )
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    active = next((r for r in page.object_list if r.is_active), None)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "insights/campaign_reports.html",
        {
            "campaign": campaign,
            "reports_page": page,
            "active": active,
            "form": form,
            "idea_total": Idea.objects.public().filter(campaign=campaign).count(),
        },
        status=status,
    )


def _summary_lines(report: InsightReport, cluster: dict[str, Any]) -> list[dict]:
    lines = []
    for i, line in enumerate(cluster["summary"]):
        ids = line["idea_ids"]
        lines.append(
            {
                "text": line["text"],
                "url": reverse("ideas:idea", args=[ids[0]]),
                "ids": ids,
                "more": len(ids) - 1,
                "list_url": reverse("insights:cluster", args=[report.pk, cluster["id"]])
                + f"?line={i}",
            }
        )
    return lines


def report_context(report: InsightReport) -> dict[str, Any]:
    """Everything the report page and the printable page show, in a fixed number
    of queries whatever the number of ideas or clusters."""
    results = report.results or {}
    text = results.get("text") or {"clusters": [], "duplicates": []}
    comparison = results.get("comparison") or {}
    segmentation = results.get("segmentation") or {}
    assigned = dict(
        IdeaAssignment.objects.filter(report=report, later=True)
        .values_list("cluster")
        .annotate(n=Count("id"))
        .order_by()
    )
    points: dict[int, list[dict[str, Any]]] = defaultdict(list)
    located = (
        IdeaAssignment.objects.filter(
            report=report, idea__lat__isnull=False, idea__lon__isnull=False
        )
        .order_by("cluster", "-idea__support_count", "idea_id")
        .values_list("cluster", "idea_id", "idea__title", "idea__lat", "idea__lon")
    )
    for cluster, pk, title, lat, lon in located.iterator(chunk_size=2000):
        if len(points[cluster]) < MAP_POINTS_PER_CLUSTER:
            points[cluster].append(
                {
                    "id": pk,
                    "title": title,
                    "lat": lat,
                    "lon": lon,
                    "url": reverse("ideas:idea", args=[pk]),
                }
            )
    sizes = segmentation.get("sizes") or {}
    approval = segmentation.get("approval") or {}
    clusters = []
    for c in report.clusters():
        key = str(c["id"])
        segments = []
        if segmentation.get("available"):
            for group, label in [
                *STAKEHOLDER_LABELS.items(),
                ("undeclared", _("Not declared")),
            ]:
                n = (sizes.get(key) or {}).get(group, 0)
                votes = (approval.get(key) or {}).get(group) or {}
                agree, disagree = votes.get("agree", 0), votes.get("disagree", 0)
                if n or agree or disagree:
                    share = (
                        round(100 * agree / (agree + disagree))
                        if (agree + disagree)
                        else None
                    )
                    segments.append(
                        {
                            "label": label,
                            "ideas": n,
                            "agree": agree,
                            "disagree": disagree,
                            "agree_share": share,
                        }
                    )
        clusters.append(
            {
                **c,
                "lines": _summary_lines(report, c),
                "comparison": (comparison.get("clusters") or {}).get(key),
                "assigned_since": assigned.get(c["id"], 0),
                "points": points.get(c["id"], []),
                "map_id": f"cluster-map-{c['id']}",
                "map_points_id": f"cluster-map-{c['id']}-points",
                "segments": segments,
                "url": reverse("insights:cluster", args=[report.pk, c["id"]]),
            }
        )
    overview = results.get("overview") or {}
    state_labels = dict(IdeaState.choices)
    dup_pairs = text.get("duplicates", [])[:DUPLICATES_SHOWN]
    dup_ids = {int(i) for a, b, _s in dup_pairs for i in (a, b)}
    titles = dict(Idea.objects.filter(pk__in=dup_ids).values_list("pk", "title"))
    duplicates = [
        {
            "a": int(a),
            "b": int(b),
            "a_title": titles.get(int(a), "—"),
            "b_title": titles.get(int(b), "—"),
            "score": round(100 * s),
        }
        for a, b, s in dup_pairs
    ]
    return {
        "report": report,
        "campaign": report.campaign,
        "backend": results.get("backend", ""),
        "clusters": clusters,
        "comparison": comparison,
        "size_chart": charts.bars([(c["label"], c["size"]) for c in clusters]),
        "weeks_chart": charts.columns(overview.get("weeks") or {}),
        "states_chart": charts.bars(
            [
                (str(state_labels.get(s, s)), n)
                for s, n in sorted(
                    (overview.get("states") or {}).items(), key=lambda kv: -kv[1]
                )
            ]
        ),
        "opinions": _opinions_context(results.get("opinions"), segmentation),
        "segmentation_available": segmentation.get("available", False),
        "duplicates": duplicates,
        "duplicates_total": len(text.get("duplicates", [])),
        "map_tiles_url": settings.AGORA_MAP_TILES_URL,
        "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        "has_points": any(c["points"] for c in clusters),
    }


def _opinions_context(
    opinions: dict[str, Any] | None, segmentation: dict[str, Any]
) -> dict[str, Any] | None:
    if not opinions:
        return None
    ideas = opinions.get("ideas") or {}

    def idea(pk: str, **extra: Any) -> dict[str, Any]:
        info = ideas.get(pk) or {}
        return {
            "id": pk,
            "title": info.get("title", "—"),
            "agree": info.get("agree", 0),
            "disagree": info.get("disagree", 0),
            "pass": info.get("pass", 0),
            "url": reverse("ideas:idea", args=[pk]),
            **extra,
        }

    by_stakeholder = segmentation.get("opinion_groups") or {}
    groups = []
    for g in opinions["groups"]:
        details = g.get("representative_detail") or []
        mix = by_stakeholder.get(str(g["id"])) or {}
        groups.append(
            {
                "id": g["id"],
                "name": _("Group %(letter)s") % {"letter": chr(ord("A") + g["id"])},
                "size": g["size"],
                "css": g["id"] % 8,
                "representative": [
                    idea(
                        d["comment_id"],
                        direction=d["direction"],
                        group_rate=round(100 * d["group_rate"]),
                        other_rate=round(100 * d["other_rate"]),
                    )
                    for d in details
                ],
                "stakeholders": [
                    (STAKEHOLDER_LABELS.get(k, _("Not declared")), n)
                    for k, n in sorted(mix.items(), key=lambda kv: -kv[1])
                ]
                if segmentation.get("available")
                else [],
            }
        )
    return {
        "groups": groups,
        "consensus": [idea(pk) for pk in opinions["consensus"]],
        "divisive": [idea(pk) for pk in opinions["divisive"]],
        "scatter": charts.scatter(
            opinions.get("coordinates") or {}, opinions.get("participants") or {}
        ),
        "n_voters": opinions.get("n_voters", 0),
        "n_grouped": len(opinions.get("participants") or {}),
        "min_votes": opinions.get("min_votes", 7),
        "stability": opinions.get("stability"),
        "warm_start": bool(opinions.get("warm_start")),
        "warm_tolerance": round(100 * (opinions.get("warm_tolerance") or 0)),
    }


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    context = report_context(report) if report.succeeded else {"report": report}
    context["campaign"] = report.campaign
    return render(request, "insights/report_detail.html", context)


@login_required
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not report.succeeded:
        return redirect(report.get_absolute_url())
    context = report_context(report)
    context["printing"] = True
    return render(request, "insights/report_print.html", context)


@login_required
def cluster_ideas(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The ideas of one cluster, or only those behind one summary line (?line=N)."""
    report = _report(request, pk)
    cluster = next((c for c in report.clusters() if c["id"] == number), None)
    if cluster is None:
        raise Http404
    line = None
    qs = (
        Idea.objects.public()
        .filter(insight_assignments__report=report)
        .filter(insight_assignments__cluster=number)
    )
    raw_line = request.GET.get("line", "")
    if raw_line.isdigit() and int(raw_line) < len(cluster["summary"]):
        line = cluster["summary"][int(raw_line)]
        ids = [int(i) for i in line["idea_ids"]]
        qs = Idea.objects.public().filter(pk__in=ids)
    qs = (
        qs.select_related("author", "campaign")
        .prefetch_related("categories")
        .order_by("-support_count", "-id")
    )
    page = Paginator(qs, IDEAS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "insights/cluster_ideas.html",
        {
            "report": report,
            "campaign": report.campaign,
            "cluster": cluster,
            "line": line,
            "ideas_page": page,
            "query_string": f"line={raw_line}" if line else "",
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    # Spreadsheet formula injection: a cell starting with = + - @ runs as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@login_required
def report_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """One row per idea with its cluster's id and label."""
    report = _report(request, pk)
    labels = {c["id"]: c["label"] for c in report.clusters()}
    rows = (
        IdeaAssignment.objects.filter(report=report)
        .order_by("idea_id")
        .values_list("idea_id", "idea__title", "cluster", "later", "similarity")
    )
    writer = csv.writer(_Echo())
    base = request.build_absolute_uri("/").rstrip("/")

    def lines() -> Any:
        yield writer.writerow(
            ["idea_id", "title", "cluster_id", "cluster_label", "assigned_later", "url"]
        )
        for idea_id, title, cluster, later, _sim in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    idea_id,
                    _csv_cell(title),
                    cluster,
                    _csv_cell(labels.get(cluster, "")),
                    "yes" if later else "no",
                    base + reverse("ideas:idea", args=[idea_id]),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="insights-report-{report.pk}.csv"'
    )
    return response


@login_required
def report_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The stored results with the report's parameters, as downloaded JSON."""
    report = _report(request, pk)
    payload = {
        "report": report.pk,
        "campaign": {"id": report.campaign_id, "title": report.campaign.title},
        "status": report.status,
        "parameters": report.parameters,
        "created_at": report.created_at.isoformat(),
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "n_ideas": report.n_ideas,
        "assigned_since": report.assigned_since,
        "fit_degraded": report.fit_degraded,
        "results": report.results,
    }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = (
        f'attachment; filename="insights-report-{report.pk}.json"'
    )
    return response
