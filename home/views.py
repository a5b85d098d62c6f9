"""Site-wide pages that belong to no single capability: the health checks and error pages."""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers (and the bench's bare-view baseline): no database, no session."""
    return HttpResponse("ok", content_type="text/plain")


logger = logging.getLogger(__name__)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:  # any failure means "not ready", never a 500
        logger.warning("readiness: database unreachable: %s", error)
        return f"down: {type(error).__name__}"


def _check_redis() -> dict[str, str]:
    """Cache and channel layer; both degrade (memory, the event log) when Redis
    is away, so their failure makes the process degraded, not unready."""
    if not settings.REDIS_URL:
        return {"cache": "ok (local memory)", "live": "ok (in-memory layer)"}
    import redis

    ping = getattr(cache, "ping", None)
    cache_ok = ping() if ping is not None else True
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        layer_ok = bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        layer_ok = False
    return {
        "cache": "ok"
        if cache_ok
        else "degraded: Redis unreachable, serving from this process's memory",
        "live": "ok"
        if layer_ok
        else "degraded: Redis unreachable, live events wait in the event log "
        "and reach clients by replay when it returns",
    }


def _live_counts() -> dict[str, int] | None:
    """This process's live delivery since it started: events written straight
    to a socket, queued for a tab's task, dropped (a tab too far behind)."""
    from channels.layers import get_channel_layer

    counts = getattr(get_channel_layer(), "counts", None)
    return counts() if counts is not None else None


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """For orchestrators: can this process serve, and what is degraded?

    200 with status "ok" or "degraded" (still serving: Redis away), 503 when the
    database cannot be reached. /healthz stays the cheap liveness check."""
    checks = {"database": _check_database(), **_check_redis()}
    if checks["database"] != "ok":
        status = "down"
    elif any(value.startswith("degraded") for value in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    body: dict[str, object] = {"status": status, "checks": checks}
    live_counts = _live_counts()
    if live_counts is not None:
        body["live"] = live_counts
    response = JsonResponse(body, status=503 if status == "down" else 200)
    if status == "down":
        response["Retry-After"] = "5"
    return response


# How long a client is asked to wait when every database connection is busy.
BUSY_RETRY_AFTER_SECONDS = 5


def _database_busy(error: BaseException | None) -> bool:
    """Was this the connection pool running out (PoolTimeout after waiting its
    bound, or TooManyRequests when too many requests already wait)?"""
    try:
        from psycopg_pool import PoolTimeout, TooManyRequests
    except ImportError:  # no PostgreSQL pool installed: never busy
        return False
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (PoolTimeout, TooManyRequests)):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A burst that exhausts the database pool is not an error of
    ours or the client's: those requests waited their bound in the pool's queue
    and are answered 503 with Retry-After. Everything else is the usual 500."""
    from django.views.defaults import server_error as plain_server_error

    if not _database_busy(sys.exc_info()[1]):
        return plain_server_error(request)
    return busy(request)


def busy(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: every connection (or every request slot of this
    process, config/concurrency.py) stayed busy for as long as a request may wait.
    Made without the database: JSON for the API, else the 503 page."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": "busy", "retry_after": BUSY_RETRY_AFTER_SECONDS}, status=503
        )
    else:
        # No database here: render the template without context processors.
        from django.template import loader

        response = HttpResponse(
            loader.get_template("503.html").render(
                {"retry_after": BUSY_RETRY_AFTER_SECONDS}
            ),
            status=503,
        )
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


@never_cache
def switch_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: a GET form, so pages carry no CSRF token and
    an anonymous page sets no cookie until its reader picks a language (which only
    sets the language cookie: a preference of this browser, nothing to forge).
    Works like Django's `set_language` otherwise: `language`, then back to `next`."""
    from django.http import HttpResponseRedirect
    from django.utils.http import url_has_allowed_host_and_scheme

    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    language = request.GET.get("language", "")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
