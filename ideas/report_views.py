"""Pages of report campaigns: reports near me, the public answer record by
department, a department's queue, and "me too"."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.limits import limit

from . import actions
from .models import CampaignPage, Department, Report
from .queries import MAX_RADIUS_M, place_for_address, report_figures, reports_near

QUEUE_PER_PAGE = 30
DEFAULT_RADIUS_M = 500


def _report_campaign(pk: int) -> CampaignPage:
    campaign = get_object_or_404(CampaignPage.objects.live().public(), pk=pk)
    if not campaign.is_reports:
        raise Http404
    return campaign


def _float(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _near_query(request: HttpRequest, campaign: CampaignPage) -> dict[str, Any]:
    """Parse ?lat=&lon= (from the browser) or ?address=, and ?radius= (metres)."""
    lat, lon = _float(request.GET.get("lat")), _float(request.GET.get("lon"))
    address = request.GET.get("address", "").strip()[:200]
    radius = _float(request.GET.get("radius")) or DEFAULT_RADIUS_M
    radius = max(50.0, min(radius, float(MAX_RADIUS_M)))
    error = ""
    if lat is None or lon is None:
        lat = lon = None
        if address:
            place = place_for_address(campaign.pk, address)
            if place is None:
                error = _(
                    "We could not place that address. Try a street name as reports "
                    "give it, or use your location."
                )
            else:
                lat, lon = place
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        error = _("That point is not on the map: check the coordinates.")
        lat = lon = None
    results = reports_near(campaign.pk, lat, lon, radius) if lat is not None else []
    return {
        "lat": lat,
        "lon": lon,
        "address": address,
        "radius": int(radius),
        "error": error,
        "results": results,
        "searched": lat is not None,
    }


def reports_near_me(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _report_campaign(campaign_pk)
    limit(request, "api_read")
    near = _near_query(request, campaign)
    return render(
        request,
        "ideas/reports_near.html",
        {
            "campaign": campaign,
            "near": near,
            "map_points": [
                {
                    "id": r["id"],
                    "title": r["title"],
                    "lat": r["lat"],
                    "lon": r["lon"],
                    "url": r["url"],
                }
                for r in near["results"]
            ],
            "map_tiles_url": settings.AGORA_MAP_TILES_URL,
            "map_attribution": settings.AGORA_MAP_ATTRIBUTION,
        },
        status=400 if near["error"] else 200,
    )


def reports_near_json(request: HttpRequest, campaign_pk: int) -> JsonResponse:
    campaign = _report_campaign(campaign_pk)
    limit(request, "api_read")
    near = _near_query(request, campaign)
    if near["error"] or not near["searched"]:
        return JsonResponse(
            {"error": near["error"] or _("Give lat and lon, or an address.")},
            status=400,
        )
    results = [{**r, "due_at": r["due_at"].isoformat()} for r in near["results"]]
    return JsonResponse(
        {
            "lat": near["lat"],
            "lon": near["lon"],
            "radius": near["radius"],
            "results": results,
        }
    )


def report_record(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """Public monthly figures by department."""
    campaign = _report_campaign(campaign_pk)
    return render(
        request,
        "ideas/report_record.html",
        {"campaign": campaign, "figures": report_figures(campaign.pk)},
    )


def department_queue(request: HttpRequest, pk: int) -> HttpResponse:
    """A department's open reports, the soonest due first; its staff only."""
    department = get_object_or_404(Department, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not actions.is_department_staff(request.user, department):
        raise PermissionDenied(_("Only this department's staff see its queue."))
    show = request.GET.get("show", "open")
    qs = Report.objects.filter(department=department).select_related("idea")
    qs = qs.filter(answered_at__isnull=show != "answered")
    qs = (
        qs.order_by("-answered_at", "-id")
        if show == "answered"
        else qs.order_by("due_at", "id")
    )
    page = Paginator(qs, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "ideas/department_queue.html",
        {"department": department, "reports": page, "show": show},
    )


@require_POST
def me_too(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related("idea__campaign"), idea_id=pk
    )
    back = report.idea.get_absolute_url()
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    if not report.idea.campaign.live or not report.idea.is_visible_to(request.user):
        raise Http404
    limit(request, "support")
    try:
        added = actions.do_me_too(request.user, report)
    except actions.IdeaError as exc:
        messages.error(request, str(exc))
    else:
        if added:
            messages.success(
                request, _("Counted: you will hear when the city answers.")
            )
    return redirect(back)
