"""Template context every page needs from configuration."""

from typing import Any

from django.http import HttpRequest

from accounts.brand import current_brand


def site(request: HttpRequest) -> dict[str, Any]:
    # The brand is cached (home.brand): no query per page.
    brand = current_brand()
    return {"site_name": brand.name, "brand": brand}
