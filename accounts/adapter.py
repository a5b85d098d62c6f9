"""allauth, in the city's name and within Agora's limits.

Account mails say which city they come from (not the server's host name) and get
the same branded HTML as Agora's own mails. allauth counts failed logins itself
(ACCOUNT_RATE_LIMITS["login_failed"]) and, over the limit, adds a form error to a
200 page; every other allauth limit already answers 429 through
`config.urls.handler429`. Here the lockout raises `accounts.limits.RateLimited`
instead, so RateLimitMiddleware answers it like every other limit: 429,
Retry-After, and the page keeps the e-mail address typed.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import parse_rates
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest

from .brand import current_brand
from .limits import RateLimited
from .mail import brand_site, html_from_text


def _lockout_seconds() -> int:
    """The longest window of the login_failed rates: a conservative Retry-After."""
    rates = parse_rates((account_settings.RATE_LIMITS or {}).get("login_failed"))
    return int(max((rate.duration for rate in rates), default=60))


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        brand = current_brand()
        # allauth's templates write current_site.name / .domain: the city and its
        # public address (AGORA_BASE_URL), whatever host the request came in on.
        context = {**context, "current_site": brand_site(brand), "brand": brand}
        super().send_mail(template_prefix, email, context)

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = super().render_mail(template_prefix, email, context, headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            message.attach_alternative(
                html_from_text(message.body, message.subject), "text/html"
            )
        return message

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if getattr(error, "code", None) == "too_many_login_attempts":
                raise RateLimited("login_failed", _lockout_seconds()) from error
            raise
