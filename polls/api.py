"""Open data for polls: `/api/polls/` (paginated list) and `/api/polls/<id>/` (the
poll, its questions and, once visible, its result and ballot-log links). Read-only,
rate-limited like the ideas API, a fixed number of queries per page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from accounts.limits import limit
from ideas.api import paginate

from . import actions
from .models import PollPage, PollResult


def poll_json(poll: PollPage, result: dict[str, Any] | None = None) -> dict[str, Any]:
    box = poll.box
    return {
        "id": poll.pk,
        "title": poll.title,
        "url": poll.url,
        "state": actions.state_of(poll),
        "opens_at": box.opens_at.isoformat() if box and box.opens_at else None,
        "closes_at": box.closes_at.isoformat() if box and box.closes_at else None,
        "eligibility": poll.eligibility,
        "ballots": box.ballot_count if box else 0,
        "head_hash": box.head_hash if box else "",
        "results_url": reverse("polls:results_json", args=[poll.pk]),
        "ballot_log_url": reverse("polls:log", args=[poll.pk, "json"]),
        "result": result,
    }


@require_GET
def polls(request: HttpRequest) -> JsonResponse:
    limit(request, "api_read")
    qs = PollPage.objects.live().public().select_related("box").order_by("-pk")
    page, meta = paginate(request, qs)
    return JsonResponse(
        {
            **meta,
            "results": [poll_json(p) for p in page.object_list],
        }
    )


@require_GET
def poll(request: HttpRequest, pk: int) -> JsonResponse:
    limit(request, "api_read")
    page = PollPage.objects.live().public().select_related("box").filter(pk=pk).first()
    if page is None:
        raise Http404("no such poll")
    final = PollResult.objects.filter(poll=page).first()
    result = final.data if final else None
    if result is None and actions.results_visible(page):
        from .views import current_result

        result = current_result(page)
    data = poll_json(page, result)
    data["questions"] = actions.spec_of(page)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


api_urlpatterns = [
    path("polls/", polls, name="api_polls"),
    path("polls/<int:pk>/", poll, name="api_poll"),
]
