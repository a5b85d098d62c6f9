"""Template context every page needs from configuration."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site_name": settings.WAGTAIL_SITE_NAME}
