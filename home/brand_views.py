"""The brand's stylesheet and favicon: tiny, cacheable, and served without a query
once the brand is cached."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from accounts.brand import current_brand

from .brand import brand_stylesheet

YEAR = 365 * 24 * 3600


@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    brand = current_brand()
    response = HttpResponse(brand_stylesheet(brand), content_type="text/css")
    # Pages link to ?v=<version>; a new brand gets a new address, so the old one
    # may be cached for good. Without the current version: revalidate soon.
    if request.GET.get("v") == brand.version:
        response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    brand = current_brand()
    response = HttpResponseRedirect(brand.favicon_url or static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
