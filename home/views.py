"""Site-wide pages that belong to no single capability: the health check."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers (and the bench's bare-view baseline): no database, no session."""
    return HttpResponse("ok", content_type="text/plain")
