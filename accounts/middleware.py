"""Use a signed-in person's preferred language unless they picked one in this browser."""

from collections.abc import Callable
from typing import Any

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


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Fields never put back on the 429 page's form.
NOT_RESUBMITTED = {"csrfmiddlewaretoken", "password", "password1", "password2"}


class RateLimitMiddleware:
    """Answer `accounts.limits.RateLimited` as a limit, not an error: 429 with
    `Retry-After`, JSON for the API, and for HTML a page that says what was
    refused and when to retry, with what the person typed in a form that sends
    it again. Also counts two limits every request is under: "any_write" for
    every write outside the staff admin, "api_read" for the API per address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        from accounts.limits import RateLimited, limit

        path = request.path_info
        if path.startswith(tuple(settings.CONTENT_SECURITY_POLICY_ADMIN_PREFIXES)):
            return None
        try:
            if path.startswith("/api/"):
                limit(request, "api_read", key="ip")
            if request.method in WRITE_METHODS:
                limit(request, "any_write")
        except RateLimited as refusal:
            return rate_limited_response(request, refusal)
        return None

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        from accounts.limits import RateLimited

        if not isinstance(exception, RateLimited):
            return None
        return rate_limited_response(request, exception)


def wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/") or (
        "application/json" in request.headers.get("Accept", "")
        or request.content_type == "application/json"
    )


def rate_limited_response(
    request: HttpRequest, refusal: Exception, *, scope: str | None = None
) -> HttpResponse:
    from django.http import JsonResponse
    from django.shortcuts import render

    from accounts.limits import RateLimited, what_is_limited

    assert isinstance(refusal, RateLimited)  # noqa: S101
    scope = scope or refusal.scope
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse(
            {
                "error": str(refusal.message),
                "limit": scope,
                "retry_after": refusal.retry_after,
            },
            status=429,
        )
    else:
        typed: list[Any] = []
        if request.method == "POST":
            for name, values in request.POST.lists():
                if name in NOT_RESUBMITTED:
                    continue
                for value in values:
                    typed.append((name, value, "\n" in value or len(value) > 80))
        # Words a person typed are shown, to edit and send again; switches and
        # ids ("undo=1", "reply_to=7") stay hidden fields.
        typed = [
            (n, v, long, long or (n != "next" and any(c.isalpha() for c in v)))
            for n, v, long in typed
        ]
        response = render(
            request,
            "429.html",
            {
                "message": refusal.message,
                "retry_after": refusal.retry_after,
                "refused": what_is_limited(scope),
                "typed": typed,
                "has_text": any(shown for *_rest, shown in typed),
                "action": request.get_full_path(),
            },
            status=429,
        )
    response["Retry-After"] = str(refusal.retry_after)
    return response
