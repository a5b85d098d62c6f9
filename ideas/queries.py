"""Reading queries shared by pages of ideas and of apps above it (selectors).

`results_context` serves any public results page of implementation tracking:
the campaign's results page here, a budget's results page in budgets.
"""

from __future__ import annotations

import math
import statistics
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, ExpressionWrapper, F, FloatField, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils import timezone

from moderation.models import Visibility

from .models import IdeaState, Implementation, ImplementationStatus, Milestone
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


# ---------------------------------------------------------------------------
# Reports near me, and the public monthly answer record by department
# ---------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_000.0
METRES_PER_DEGREE = 111_320.0
MAX_RADIUS_M = 5_000
NEAR_LIMIT = 50
# Rows read from the bounding box, nearest first by a flat (equirectangular)
# approximation, which at a few kilometres orders points as the exact distance
# does; the exact (haversine) distance then filters and orders them. A small
# margin over NEAR_LIMIT covers ties at the edge.
NEAR_CANDIDATES = NEAR_LIMIT + 20


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(
    lat: float, lon: float, radius_m: float
) -> tuple[float, float, float, float]:
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def near_queryset(campaign_id: int, lat: float, lon: float, radius_m: float) -> Any:
    """The SQL half of "near me": a range on the (campaign, lat, lon) index.

    Equality on campaign and a range on lat are index bounds; lon is checked from
    the index entries, so no report outside the box is read from the table."""
    from .models import Report

    south, north, west, east = bounding_box(lat, lon, radius_m)
    flat = (F("lat") - lat) * (F("lat") - lat) + (F("lon") - lon) * (
        F("lon") - lon
    ) * math.cos(math.radians(lat)) ** 2
    return (
        Report.objects.filter(
            campaign_id=campaign_id,
            lat__gte=south,
            lat__lte=north,
            lon__gte=west,
            lon__lte=east,
            idea__visibility=Visibility.PUBLISHED,
        )
        .exclude(idea__state=IdeaState.WITHDRAWN)
        .annotate(flat=ExpressionWrapper(flat, output_field=FloatField()))
        .order_by("flat")
    )


def reports_near(
    campaign_id: int, lat: float, lon: float, radius_m: float
) -> list[dict[str, Any]]:
    """Public reports within `radius_m` of a point, nearest first (one query)."""
    radius_m = max(10.0, min(float(radius_m), MAX_RADIUS_M))
    rows = near_queryset(campaign_id, lat, lon, radius_m).values_list(
        "idea_id",
        "idea__title",
        "idea__state",
        "idea__address",
        "lat",
        "lon",
        "me_too_count",
        "due_at",
        "answered_at",
    )[:NEAR_CANDIDATES]
    found = []
    for idea_id, title, state, address, rlat, rlon, me_too, due, answered in rows:
        distance = haversine_m(lat, lon, rlat, rlon)
        if distance <= radius_m:
            found.append(
                {
                    "id": idea_id,
                    "title": title,
                    "state": state,
                    "state_label": str(IdeaState(state).label),
                    "address": address,
                    "lat": rlat,
                    "lon": rlon,
                    "distance_m": round(distance),
                    "me_too": me_too,
                    "due_at": due,
                    "answered": answered is not None,
                    "url": f"/ideas/{idea_id}/",
                }
            )
    found.sort(key=lambda r: r["distance_m"])
    return found[:NEAR_LIMIT]


def place_for_address(campaign_id: int, address: str) -> tuple[float, float] | None:
    """An address typed by a resident, placed by the located reports and ideas of
    the campaign that name it (no outside geocoder is called)."""
    from .models import Idea

    address = " ".join(address.split())[:200]
    if len(address) < 3:
        return None
    hit = (
        Idea.objects.public()
        .filter(
            campaign_id=campaign_id,
            address__icontains=address,
            lat__isnull=False,
            lon__isnull=False,
        )
        .order_by("-created_at")
        .values_list("lat", "lon")
        .first()
    )
    return (hit[0], hit[1]) if hit else None


def report_figures(campaign_id: int, months: int = 12) -> list[dict[str, Any]]:
    """Public answer record of a report campaign: per department and month, reports
    filed, answered on time, answered late, still open past the deadline
    (escalated), and the median days from filing to answer.

    Two queries over the (campaign, filed_at) index, cached for five minutes."""
    from .models import Report

    key = f"ideas:report-figures:{campaign_id}:{months}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    since = (timezone.now() - timedelta(days=31 * months)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    base = Report.objects.filter(campaign_id=campaign_id, filed_at__gte=since)
    rows = (
        base.annotate(month=TruncMonth("filed_at"))
        .values("month", "department__name")
        .annotate(
            filed=Count("id"),
            on_time=Count("id", filter=Q(answered_at__lte=F("due_at"))),
            late=Count("id", filter=Q(answered_at__gt=F("due_at"))),
            overdue=Count(
                "id", filter=Q(answered_at__isnull=True, escalated_at__isnull=False)
            ),
        )
        .order_by("-month", "department__name")
    )
    durations: dict[tuple[Any, Any], list[float]] = {}
    for month, dept, filed, answered in (
        base.filter(answered_at__isnull=False)
        .annotate(month=TruncMonth("filed_at"))
        .values_list("month", "department__name", "filed_at", "answered_at")
    ):
        durations.setdefault((month, dept), []).append(
            (answered - filed).total_seconds() / 86400
        )
    figures = []
    for row in rows:
        spans = durations.get((row["month"], row["department__name"]), [])
        figures.append(
            {
                "month": row["month"],
                "department": row["department__name"] or "",
                "filed": row["filed"],
                "on_time": row["on_time"],
                "late": row["late"],
                "overdue": row["overdue"],
                "median_days": round(statistics.median(spans), 1) if spans else None,
            }
        )
    cache.set(key, figures, 300)
    return figures
