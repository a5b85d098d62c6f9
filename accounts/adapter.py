"""allauth's account adapter, with its login lockout answered as a limit (429).

allauth counts failed logins itself (ACCOUNT_RATE_LIMITS["login_failed"]) and,
over the limit, adds a form error to a 200 page; every other allauth limit
already answers 429 through `config.urls.handler429`. Here the lockout raises
`accounts.limits.RateLimited` instead, so RateLimitMiddleware answers it like
every other limit: 429, Retry-After, and the page keeps the e-mail address typed.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import parse_rates
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .limits import RateLimited


def _lockout_seconds() -> int:
    """The longest window of the login_failed rates: a conservative Retry-After."""
    rates = parse_rates((account_settings.RATE_LIMITS or {}).get("login_failed"))
    return int(max((rate.duration for rate in rates), default=60))


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if getattr(error, "code", None) == "too_many_login_attempts":
                raise RateLimited("login_failed", _lockout_seconds()) from error
            raise
