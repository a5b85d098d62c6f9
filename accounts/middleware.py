"""Use a signed-in person's preferred language unless they picked one in this browser."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class PreferredLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.preferred_language in dict(settings.LANGUAGES)
        ):
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class RateLimitMiddleware:
    """Answer `accounts.limits.RateLimited` as a limit, not an error: 429 with
    `Retry-After`, JSON for the API and an explanatory page for HTML."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        from django.http import JsonResponse
        from django.shortcuts import render

        from accounts.limits import RateLimited

        if not isinstance(exception, RateLimited):
            return None
        wants_json = request.path.startswith("/api/") or "application/json" in (
            request.headers.get("Accept", "")
        )
        if wants_json:
            response: HttpResponse = JsonResponse(
                {"error": str(exception.message), "retry_after": exception.retry_after},
                status=429,
            )
        else:
            response = render(
                request,
                "429.html",
                {"message": exception.message, "retry_after": exception.retry_after},
                status=429,
            )
        response["Retry-After"] = str(exception.retry_after)
        return response
