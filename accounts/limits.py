"""Rate limits for every write and the API, named and configured in one place.

Views (HTML and JSON alike) call `limit(request, "scope")` before the action they
guard; the rates live in `settings.AGORA_RATE_LIMITS` and are counted by
django-ratelimit in the shared cache. Over a limit `RateLimited` is raised, and
`accounts.middleware.RateLimitMiddleware` turns it into a 429 with `Retry-After`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

# Sane defaults; a city overrides any of them with AGORA_RATE_LIMITS in settings.
DEFAULT_RATES: dict[str, str] = {
    "api_read": "120/m",
    "flag": "10/m",
    "support": "30/m",
    "vote": "30/m",
    "like": "60/m",
    "follow": "30/m",
    "post": "12/m",
    "idea": "5/m",
    "ballot": "10/m",
    "verification": "10/h",
    "write": "30/m",
    "avatar": "10/h",
}


class RateLimited(Exception):
    """A client went over a named limit; `retry_after` is in whole seconds."""

    def __init__(self, scope: str, retry_after: int) -> None:
        self.scope = scope
        self.retry_after = max(1, int(retry_after))
        self.message = _(
            "You are doing that too often. Please wait %(seconds)s seconds and try again."
        ) % {"seconds": self.retry_after}
        super().__init__(str(self.message))


def rate_for(scope: str) -> str | None:
    rates = {**DEFAULT_RATES, **getattr(settings, "AGORA_RATE_LIMITS", {})}
    return rates.get(scope)


def limit(request: HttpRequest, scope: str, *, key: str = "user_or_ip") -> None:
    """Count one use of `scope` by this resident (or, signed out, this IP address)
    and raise `RateLimited` once the configured rate is exceeded."""
    rate = rate_for(scope)
    if not rate:
        return
    usage = get_usage(
        request, group=scope, key=key, rate=rate, method=ALL, increment=True
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(scope, usage["time_left"])
