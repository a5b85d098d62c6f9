"""Site-wide pages that belong to no single capability: search and the health check."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from wagtail.models import Page

SEARCH_RESULTS_PER_PAGE = 20
MAX_QUERY_LENGTH = 200


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    results = Page.objects.none()
    if query:
        results = Page.objects.live().public().specific().search(query)
    page = Paginator(results, SEARCH_RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "home/search.html",
        {"query": query, "page": page, "query_string": urlencode({"q": query})},
    )


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers (and the bench's bare-view baseline): no database, no session."""
    return HttpResponse("ok", content_type="text/plain")
