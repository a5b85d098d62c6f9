"""Open data: per-campaign CSV/JSON downloads and a read-only JSON API (see openapi()).

Only public ideas on live campaigns, and no personal data beyond the display
name residents chose to show next to their ideas. Every list is paginated and
costs a fixed number of queries.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.privacy import FORMER_RESIDENT

from .models import CampaignPage, Idea, IdeaState, OfficialResponse

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def public_ideas() -> QuerySet[Idea]:
    live = CampaignPage.objects.live().public().values("pk")
    return (
        Idea.objects.public()
        .filter(campaign__in=live)
        .select_related("author")
        .prefetch_related(
            "categories",
            "tags",
            Prefetch(
                "responses",
                queryset=OfficialResponse.objects.order_by("created_at", "id"),
            ),
        )
    )


def author_name(idea: Idea) -> str:
    if idea.author is not None:
        return idea.author.display_name
    if idea.submitter_name:
        return idea.submitter_name
    return "" if idea.recorded_by_id else str(FORMER_RESIDENT)


def idea_json(idea: Idea, request: HttpRequest | None = None) -> dict[str, Any]:
    responses = list(idea.responses.all())
    url = idea.get_absolute_url()
    return {
        "id": idea.pk,
        "campaign": idea.campaign_id,
        "title": idea.title,
        "description": idea.description,
        "author": author_name(idea),
        "source": idea.source,
        "state": idea.state,
        "categories": sorted(t.name for t in idea.categories.all()),
        "tags": sorted(t.name for t in idea.tags.all()),
        "location": (
            {"lat": idea.lat, "lon": idea.lon, "address": idea.address}
            if idea.is_located or idea.address
            else None
        ),
        "supports": idea.support_count,
        "votes": {
            "agree": idea.agree_count,
            "disagree": idea.disagree_count,
            "pass": idea.pass_count,
        },
        "comments": idea.comment_count,
        "created_at": idea.created_at.isoformat(),
        "answered_at": idea.answered_at.isoformat() if idea.answered_at else None,
        "answers": [
            {
                "state": r.to_state,
                "text": r.text,
                "at": r.created_at.isoformat(),
                "official": r.by_id is not None,
            }
            for r in responses
        ],
        "url": request.build_absolute_uri(url) if request else url,
    }


def campaign_json(campaign: CampaignPage, request: HttpRequest) -> dict[str, Any]:
    phase = campaign.current_phase()
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "question": campaign.question,
        "voting_mode": campaign.voting_mode,
        "support_threshold": campaign.support_threshold,
        "answer_deadline_days": campaign.answer_deadline_days,
        "phase": phase.kind if phase else None,
        "phases": [
            {"kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()}
            for p in campaign.phase_list()
        ],
        "categories": [t.name for t in campaign.category_choices()],
        "url": request.build_absolute_uri(campaign.url or "/"),
        "ideas_url": request.build_absolute_uri(f"/api/ideas/?campaign={campaign.pk}"),
        "attribution": campaign.attribution,
    }


def paginate(request: HttpRequest, qs: QuerySet[Any]) -> tuple[Any, dict[str, Any]]:
    """One page of an API list and its links; a bad page number is a 404, never a 500
    (the polls API pages the same way)."""
    try:
        size = min(
            MAX_PAGE_SIZE, max(1, int(request.GET.get("page_size", DEFAULT_PAGE_SIZE)))
        )
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    paginator = Paginator(qs, size)
    try:
        number = int(request.GET.get("page", 1))
        page = paginator.page(number)
    except (ValueError, EmptyPage) as exc:
        raise Http404 from exc
    params = request.GET.copy()

    def link(n: int) -> str:
        params["page"] = str(n)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    meta = {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
    }
    return page, meta


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


@require_GET
def campaigns(request: HttpRequest) -> JsonResponse:
    qs = (
        CampaignPage.objects.live()
        .public()
        .order_by("-first_published_at", "pk")
        .prefetch_related("phases", "categories")
    )
    page, meta = paginate(request, qs)
    results = []
    for campaign in page.object_list:
        # Use the prefetched rows, not the per-page-object queries.
        campaign.__dict__["_phase_list"] = sorted(
            campaign.phases.all(), key=lambda p: (p.start, p.sort_order)
        )
        results.append(campaign_json(campaign, request))
    return JsonResponse({**meta, "results": results})


@require_GET
def campaign(request: HttpRequest, pk: int) -> JsonResponse:
    found = CampaignPage.objects.live().public().filter(pk=pk).first()
    if found is None:
        raise Http404
    return JsonResponse(campaign_json(found, request))


@require_GET
def ideas(request: HttpRequest) -> JsonResponse:
    qs = public_ideas()
    campaign_id = request.GET.get("campaign", "")
    if campaign_id:
        if not campaign_id.isdigit():
            return _bad_request("campaign must be a campaign id")
        qs = qs.filter(campaign_id=int(campaign_id))
    state = request.GET.get("state", "")
    if state:
        if state not in IdeaState.values or state == IdeaState.WITHDRAWN:
            return _bad_request(f"unknown state {state!r}")
        qs = qs.filter(state=state)
    if request.GET.get("category"):
        qs = qs.filter(categories__slug=slugify(request.GET["category"]))
    if request.GET.get("tag"):
        qs = qs.filter(tags__slug=slugify(request.GET["tag"]))
    if request.GET.get("located") in ("1", "true"):
        qs = qs.filter(lat__isnull=False)
    ordering = {
        "new": ("-created_at", "-id"),
        "supported": ("-support_count", "-id"),
        "discussed": ("-comment_count", "-id"),
        "id": ("id",),
    }.get(request.GET.get("sort", "id"))
    if ordering is None:
        return _bad_request("sort must be one of id, new, supported, discussed")
    page, meta = paginate(request, qs.order_by(*ordering))
    return JsonResponse(
        {**meta, "results": [idea_json(i, request) for i in page.object_list]}
    )


@require_GET
def idea(request: HttpRequest, pk: int) -> JsonResponse:
    found = public_ideas().filter(pk=pk).first()
    if found is None:
        raise Http404
    return JsonResponse(idea_json(found, request))


def _campaign_or_404(pk: int) -> CampaignPage:
    found = CampaignPage.objects.live().public().filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


EXPORT_COLUMNS = [
    "id",
    "title",
    "description",
    "author",
    "source",
    "state",
    "categories",
    "tags",
    "lat",
    "lon",
    "address",
    "supports",
    "agree",
    "disagree",
    "pass",
    "comments",
    "created_at",
    "answered_at",
    "latest_answer",
    "url",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    # Spreadsheet formula injection: a cell starting with = + - @ would run as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_GET
def export_csv(request: HttpRequest, campaign_pk: int) -> StreamingHttpResponse:
    campaign = _campaign_or_404(campaign_pk)
    qs = public_ideas().filter(campaign=campaign).order_by("id")
    writer = csv.writer(_Echo())

    def rows() -> Any:
        yield writer.writerow(EXPORT_COLUMNS)
        for item in qs.iterator(chunk_size=2000):
            data = idea_json(item, request)
            answers = data["answers"]
            location = data["location"] or {}
            yield writer.writerow(
                [
                    _csv_cell(v)
                    for v in (
                        data["id"],
                        data["title"],
                        data["description"],
                        data["author"],
                        data["source"],
                        data["state"],
                        "; ".join(data["categories"]),
                        "; ".join(data["tags"]),
                        location.get("lat"),
                        location.get("lon"),
                        location.get("address", ""),
                        data["supports"],
                        data["votes"]["agree"],
                        data["votes"]["disagree"],
                        data["votes"]["pass"],
                        data["comments"],
                        data["created_at"],
                        data["answered_at"] or "",
                        answers[-1]["text"] if answers else "",
                        data["url"],
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{campaign.slug}-ideas.csv"'
    )
    return response


@require_GET
def export_json(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _campaign_or_404(campaign_pk)
    qs = public_ideas().filter(campaign=campaign).order_by("id")
    response = JsonResponse(
        {
            "campaign": campaign_json(campaign, request),
            "licence": "Ideas are published by their authors on this site; "
            + (campaign.attribution or "reuse with attribution to the city."),
            "ideas": [idea_json(i, request) for i in qs.iterator(chunk_size=2000)],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{campaign.slug}-ideas.json"'
    )
    return response


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def detail_path(
    summary: str, schema: str, found: str, not_found: str
) -> dict[str, Any]:
    """One object by its id: the same shape for campaigns and ideas."""
    return {
        "get": {
            "summary": summary,
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {
                "200": {
                    "description": found,
                    "content": {"application/json": {"schema": schema_ref(schema)}},
                },
                "404": {"description": not_found},
            },
        }
    }


def page_of(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["count", "page", "pages", "next", "previous", "results"],
        "properties": {
            "count": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
            "results": {"type": "array", "items": schema_ref(name)},
        },
    }


PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "page_size",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    },
]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Agora open data API",
        "version": "1",
        "description": "Read-only: the city's idea campaigns and their public ideas, "
        "and its polls with their results and ballot logs. No personal data beyond "
        "the display names authors chose.",
        "license": {"name": "AGPL-3.0-or-later (software)"},
    },
    "paths": {
        "/api/campaigns/": {
            "get": {
                "summary": "Published campaigns, newest first",
                "parameters": PAGE_PARAMS,
                "responses": {
                    "200": {
                        "description": "A page of campaigns",
                        "content": {
                            "application/json": {"schema": page_of("Campaign")}
                        },
                    }
                },
            }
        },
        "/api/campaigns/{id}/": detail_path(
            "One campaign", "Campaign", "The campaign", "No such published campaign"
        ),
        "/api/ideas/": {
            "get": {
                "summary": "Public ideas, filtered",
                "parameters": [
                    *PAGE_PARAMS,
                    {"name": "campaign", "in": "query", "schema": {"type": "integer"}},
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": [
                                s for s in IdeaState.values if s != IdeaState.WITHDRAWN
                            ],
                        },
                    },
                    {"name": "category", "in": "query", "schema": {"type": "string"}},
                    {"name": "tag", "in": "query", "schema": {"type": "string"}},
                    {"name": "located", "in": "query", "schema": {"type": "boolean"}},
                    {
                        "name": "sort",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["id", "new", "supported", "discussed"],
                            "default": "id",
                        },
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of ideas",
                        "content": {"application/json": {"schema": page_of("Idea")}},
                    },
                    "400": {"description": "A filter value is not valid"},
                },
            }
        },
        "/api/ideas/{id}/": detail_path(
            "One public idea with its answer timeline",
            "Idea",
            "The idea",
            "No such public idea",
        ),
    },
    "components": {
        "schemas": {
            "Campaign": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "title": {"type": "string"},
                    "question": {"type": "string"},
                    "voting_mode": {
                        "type": "string",
                        "enum": ["support", "agree_disagree"],
                    },
                    "support_threshold": {"type": "integer"},
                    "answer_deadline_days": {"type": "integer"},
                    "phase": {"type": ["string", "null"]},
                    "phases": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "kind": {"type": "string"},
                                "start": {"type": "string", "format": "date-time"},
                                "end": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                    "categories": {"type": "array", "items": {"type": "string"}},
                    "url": {"type": "string", "format": "uri"},
                    "ideas_url": {"type": "string", "format": "uri"},
                    "attribution": {"type": "string"},
                },
            },
            "Idea": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "campaign": {"type": "integer"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "author": {"type": "string", "description": "Public display name"},
                    "source": {
                        "type": "string",
                        "enum": ["online", "meeting", "paper", "phone"],
                    },
                    "state": {"type": "string"},
                    "categories": {"type": "array", "items": {"type": "string"}},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "location": {
                        "type": ["object", "null"],
                        "properties": {
                            "lat": {"type": ["number", "null"]},
                            "lon": {"type": ["number", "null"]},
                            "address": {"type": "string"},
                        },
                    },
                    "supports": {"type": "integer"},
                    "votes": {
                        "type": "object",
                        "properties": {
                            "agree": {"type": "integer"},
                            "disagree": {"type": "integer"},
                            "pass": {"type": "integer"},
                        },
                    },
                    "comments": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "answered_at": {"type": ["string", "null"], "format": "date-time"},
                    "answers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "state": {"type": "string"},
                                "text": {"type": "string"},
                                "at": {"type": "string", "format": "date-time"},
                                "official": {"type": "boolean"},
                            },
                        },
                    },
                    "url": {"type": "string", "format": "uri"},
                },
            },
        }
    },
}


def register_openapi(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Apps on higher floors (polls) add their endpoints to the one document, from
    their AppConfig.ready(): ideas may not import them. A path or schema already
    described differently is a programming error."""
    for section, new in (
        (OPENAPI["paths"], paths),
        (OPENAPI["components"]["schemas"], schemas),
    ):
        for name, value in new.items():
            if section.get(name, value) != value:
                raise ImproperlyConfigured(f"{name} is already in the OpenAPI document")
            section[name] = value


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(OPENAPI)
