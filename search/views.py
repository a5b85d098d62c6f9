"""/search/: one search over everything registered, with facets and pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from .query import MAX_QUERY_CHARS, search


def _int_or_none(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def search_params(request: HttpRequest) -> dict:
    """The search's GET parameters, cleaned: anything odd is dropped, never an error."""
    return {
        "q": request.GET.get("q", "").replace("\x00", "").strip()[:MAX_QUERY_CHARS],
        "kinds": [k[:40] for k in request.GET.getlist("kind")[:10]],
        "place": _int_or_none(request.GET.get("place")),
        "state": request.GET.get("state", "")[:40],
    }


def facet_link(params: dict, **change: object) -> str:
    """The query string of this search with one facet changed (page back to 1)."""
    merged = {**params, **change}
    pairs = [("q", merged["q"])]
    pairs += [("kind", k) for k in merged["kinds"]]
    if merged["place"] is not None:
        pairs.append(("place", merged["place"]))
    if merged["state"]:
        pairs.append(("state", merged["state"]))
    return urlencode(pairs)


def site_search(request: HttpRequest) -> HttpResponse:
    params = search_params(request)
    results = search(
        params["q"],
        kinds=params["kinds"],
        place_id=params["place"],
        state=params["state"],
        page_number=request.GET.get("page"),
    )
    for facet in results.kinds:
        kinds = [] if facet.selected else [facet.value]
        facet.link = facet_link(params, kinds=kinds)  # type: ignore[attr-defined]
    for facet in results.places:
        place = None if facet.selected else facet.value
        facet.link = facet_link(params, place=place)  # type: ignore[attr-defined]
    for facet in results.states:
        state = "" if facet.selected else facet.value
        facet.link = facet_link(params, state=state)  # type: ignore[attr-defined]
    return render(
        request,
        "search/search.html",
        {
            "query": params["q"],
            "params": params,
            "results": results,
            "page": results.page,
            "query_string": facet_link(params),
        },
    )
