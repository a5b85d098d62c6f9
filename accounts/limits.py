"""Rate limits for every write and the API, named and configured in one place.

Views (HTML and JSON alike) call `limit(request, "scope")` before the action they
guard; the rates live in `settings.AGORA_RATE_LIMITS` and are counted by
django-ratelimit in the shared cache. Over a limit `RateLimited` is raised, and
`accounts.middleware.RateLimitMiddleware` turns it into a 429 with `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

# Sane defaults; a city overrides any of them with AGORA_RATE_LIMITS in settings
# (an empty string turns a limit off). docs/security.md lists them all.
DEFAULT_RATES: dict[str, str] = {
    # Every POST/PUT/PATCH/DELETE outside the staff admin, whatever the view
    # (RateLimitMiddleware), besides the view's own named limit below.
    "any_write": "60/m",
    # Every /api/ request, per IP address (RateLimitMiddleware).
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
    # The forums' posting interval: one post per 5 s, and per 30 s for accounts
    # younger than AGORA_NEW_ACCOUNT_HOURS (checked by forums.actions).
    "post_interval": "1/5s",
    "post_interval_new_account": "1/30s",
}


# What each limit refuses, in the words the 429 page uses ("... too often").
WHAT_IS_LIMITED: dict[str, Any] = {
    "any_write": _("Sending forms"),
    "api_read": _("Reading the open-data API"),
    "flag": _("Flagging content"),
    "support": _("Supporting ideas"),
    "vote": _("Voting"),
    "like": _("Liking posts"),
    "follow": _("Following"),
    "post": _("Posting"),
    "post_interval": _("Posting"),
    "post_interval_new_account": _("Posting"),
    "idea": _("Proposing ideas"),
    "ballot": _("Casting ballots"),
    "verification": _("Verification attempts"),
    "write": _("Sending forms"),
    "login_failed": _("Logging in"),
    "signup": _("Signing up"),
    "reset_password": _("Password resets"),
}


def what_is_limited(scope: str) -> Any:
    return WHAT_IS_LIMITED.get(scope, _("This action"))


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
    (with a second call) only once an attempt has failed.

    `key` is any django-ratelimit key ("ip", "user", "user_or_ip", a callable, ...);
    "user+ip" counts the resident and their address separately and refuses when
    either is over, so neither many accounts on one address nor one account on many
    addresses gets round it."""
    rate = rate_for(scope)
    if not rate:
        return
    keys: list[Any] = ["user_or_ip", "ip"] if key == "user+ip" else [key]
    for one in keys:
        usage = get_usage(
            request, group=scope, key=one, rate=rate, method=ALL, increment=increment
        )
        if usage is None:
            continue
        # Checking without counting: the next use would be one more than `count`.
        over = usage["should_limit"] if increment else usage["count"] >= usage["limit"]
        if over:
            raise RateLimited(scope, usage["time_left"])


def _user_usage(user: Any, scope: str, *, increment: bool) -> dict[str, Any] | None:
    rate = rate_for(scope)
    if not rate or user is None or user.pk is None:
        return None
    # No request in an action: the key is the resident, the rest is django-ratelimit.
    return get_usage(  # type: ignore[no-any-return]
        None,
        group=scope,
        key=lambda _group, _request: f"user:{user.pk}",
        rate=rate,
        method=ALL,
        increment=increment,
    )


def check_user(user: Any, scope: str) -> None:
    """For actions: refuse (`RateLimited`) if one more use of `scope` by this
    resident would go over its rate. Counts nothing; `count_user` does."""
    usage = _user_usage(user, scope, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        raise RateLimited(scope, usage["time_left"])


def count_user(user: Any, scope: str) -> None:
    """For actions: count one use of `scope` by this resident, after it succeeded."""
    _user_usage(user, scope, increment=True)
