"""Rate limits for every write and the API, named and configured in one place.

Views (HTML and JSON alike) call `limit(request, "scope")` before the action they
guard; the rates live in `settings.AGORA_RATE_LIMITS` and are counted by
django-ratelimit in the shared cache. Over a limit `RateLimited` is raised, and
`accounts.middleware.RateLimitMiddleware` turns it into a 429 with `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable

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
    "verification": "30/h",
    # Failed verification attempts only (counted on failure, checked before each
    # attempt), per account and per IP address, so a register can't be guessed.
    "verification_failure": "5/h",
    "verification_failure_ip": "20/h",
    # Phones in a hall often share one address: entering the event's codes is
    # limited generously per IP, wrong codes strictly.
    "event_vote": "120/m",
    "event_code_failure": "10/m",
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


def limit(
    request: HttpRequest,
    scope: str,
    *,
    key: str | Callable[[str, HttpRequest], str] = "user_or_ip",
    increment: bool = True,
) -> None:
    """Count one use of `scope` by this resident (or, signed out, this IP address)
    and raise `RateLimited` once the configured rate is exceeded.

    `increment=False` only checks: for limits on failures, which are counted
    (with a second call) only once an attempt has failed."""
    rate = rate_for(scope)
    if not rate:
        return
    usage = get_usage(
        request, group=scope, key=key, rate=rate, method=ALL, increment=increment
    )
    if usage is None:
        return
    # Checking without counting: the next use would be one more than `count`.
    over = usage["should_limit"] if increment else usage["count"] >= usage["limit"]
    if over:
        raise RateLimited(scope, usage["time_left"])
