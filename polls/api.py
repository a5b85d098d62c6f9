"""Open data for polls: `/api/polls/` (paginated list) and `/api/polls/<id>/` (the
poll, its questions and, once visible, its result and ballot-log links). Read-only,
rate-limited like the ideas API, a fixed number of queries per page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from accounts.limits import limit
from ideas.api import PAGE_PARAMS, detail_path, page_of, paginate, schema_ref

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


# --- the OpenAPI description, added to /api/openapi.json by PollsConfig.ready() ---

_TIME = {"type": ["string", "null"], "format": "date-time"}
_POLL_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "url": {"type": "string", "format": "uri", "description": "The poll's page"},
    "state": {"type": "string", "enum": ["not_open", "open", "closed", "cancelled"]},
    "opens_at": _TIME,
    "closes_at": _TIME,
    "eligibility": {"type": "string", "enum": ["verified", "account", "event"]},
    "ballots": {"type": "integer", "description": "Ballots counted so far"},
    "head_hash": {
        "type": "string",
        "description": "SHA-256 at the head of the hash-chained ballot log",
    },
    "results_url": {"type": "string", "format": "uri"},
    "ballot_log_url": {
        "type": "string",
        "format": "uri",
        "description": "The published ballot log (JSON; .csv too), after close",
    },
    "result": {
        **schema_ref("PollResult"),
        "description": "null in lists, and until the poll shows its results",
    },
}
_SHARE = {"type": ["number", "null"]}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/polls/": {
        "get": {
            "summary": "Published polls, newest first",
            "parameters": PAGE_PARAMS,
            "responses": {
                "200": {
                    "description": "A page of polls (without their results)",
                    "content": {"application/json": {"schema": page_of("Poll")}},
                },
                "404": {"description": "No such page"},
            },
        }
    },
    "/api/polls/{id}/": detail_path(
        "One poll with its questions and, once visible, its result",
        "PollDetail",
        "The poll",
        "No such published poll",
    ),
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Poll": {"type": "object", "properties": _POLL_PROPERTIES},
    "PollDetail": {
        "type": "object",
        "properties": {
            **_POLL_PROPERTIES,
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "text": {"type": "string"},
                        "kind": {
                            "type": "string",
                            "enum": ["single", "multiple", "ranking"],
                        },
                        "max": {
                            "type": ["integer", "null"],
                            "description": "Most options a multiple choice allows",
                        },
                        "options": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Ballots name options by position",
                        },
                    },
                },
            },
        },
    },
    "PollResult": {
        "type": "object",
        "description": "Live counts while results are live; the final result, "
        "recounted and fixed, after close (with the chain's check).",
        "properties": {
            "voters": {"type": "integer"},
            "eligible": {"type": ["integer", "null"]},
            "turnout_percent": _SHARE,
            "weighted": {"type": "boolean"},
            "weights": {
                "type": "object",
                "description": "Stakeholder group -> share",
            },
            "counting": {"type": "string", "description": "Rankings: borda"},
            "privacy_minimum": {"type": "integer"},
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "text": {"type": "string"},
                        "kind": {"type": "string"},
                        "voters": {"type": "integer"},
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "label": {"type": "string"},
                                    "count": {
                                        "type": "integer",
                                        "description": "Votes, or Borda points",
                                    },
                                    "percent": {"type": "number"},
                                    "weighted_percent": {
                                        **_SHARE,
                                        "description": "With stakeholder shares",
                                    },
                                },
                            },
                        },
                        "breakdowns": {
                            "type": "object",
                            "description": "district and stakeholder_group: groups "
                            "at or above the privacy minimum, and how many voters "
                            "were in smaller ones",
                        },
                    },
                },
            },
            "head_hash": {"type": "string", "description": "After close"},
            "chain_ok": {"type": "boolean", "description": "After close"},
            "chain_problems": {
                "type": "array",
                "items": {"type": "string"},
                "description": "After close",
            },
            "incremental_matches_recount": {
                "type": "boolean",
                "description": "After close: the running count equals the recount",
            },
            "closed_at": {"type": "string", "format": "date-time"},
        },
    },
}
