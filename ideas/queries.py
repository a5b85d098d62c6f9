"""Reading queries shared by pages of ideas and of apps above it (selectors).

`results_context` serves any public results page of implementation tracking:
the campaign's results page here, a budget's results page in budgets.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest

from .models import Implementation, ImplementationStatus, Milestone
from .tracking import is_registered, tracked_kind

RESULTS_PER_PAGE = 20
RESULTS_MAP_POINTS = 500


def results_context(request: HttpRequest, scope: str) -> dict[str, Any]:
    """Implementation records of one scope, filtered by `?status=`, 20 a page.

    A fixed number of queries whatever the number of records: the status counts
    (one GROUP BY), the page (count + rows), the page's milestones, the map points.
    """
    base = Implementation.objects.filter(scope=scope)
    counts = dict(
        base.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    status = request.GET.get("status", "")
    if status not in ImplementationStatus.values:
        status = ""
    qs = base.filter(status=status) if status else base
    page = Paginator(
        qs.order_by("-updated_at", "-id").prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "id"))
        ),
        RESULTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    points = [
        {
            "id": pk,
            "title": title,
            "lat": lat,
            "lon": lon,
            "url": tracked_kind(kind).url(subject_id) if is_registered(kind) else "",
        }
        for pk, title, lat, lon, kind, subject_id in qs.filter(
            lat__isnull=False, lon__isnull=False
        )
        .order_by("-updated_at")
        .values_list("pk", "title", "lat", "lon", "subject_kind", "subject_id")[
            :RESULTS_MAP_POINTS
        ]
    ]
    return {
        "results": page,
        "status_filter": status,
        "status_counts": [
            (value, label, counts.get(value, 0))
            for value, label in ImplementationStatus.choices
        ],
        "results_total": sum(counts.values()),
        "results_points": points,
        "results_scope": scope,
    }
