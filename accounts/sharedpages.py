"""Whole pages shared by signed-in residents whose page would look alike.

Most residents reading an idea, a thread, a forum or a campaign see what every
other plain resident sees: the same posts and buttons, differing only in the
header (their name, picture and unread badge), their CSRF token and their
`data-viewer-id`. Such a page is rendered once per version, language and
address for a *stand-in*: a resident with no account row (pk 0), no role, no
sanction, no support, like, post, follow or read marker. Where the header's
reader part, the viewer id and the CSRF token go, the copy holds markers
(`mark`), and each reader's page is the copy with those filled.

A reader is served the copy only when nothing of theirs would show on the page:

- a plain resident (no role, not staff), with no message waiting;
- and, in one query, none of the *reader checks* that the apps register
  (`register_reader_check`) finds anything of theirs among what the copy shows:
  the copy carries what it showed (`note`: an idea, a thread and its posts, a
  forum's threads...), and each check turns that into EXISTS clauses (their
  support of this idea, their own posts in these threads, likes of these posts,
  a read marker behind these posts, a sanction...). Any of them true, or the
  reader being an author named in the note, and the page is rendered for them
  alone, as before.

Because the copy is rendered for the stand-in, it cannot hold anything of the
reader who happened to cause it; a check that was forgotten would show a reader
the stand-in's buttons, never someone else's. The checks' other values go to
`after` hooks for what a page view does for its reader (a thread marked read).

A small part that differs between readers and is cheaper to fill in than to
render the page for (the front page's count of a reader's threads with new
posts) is a marker that a registered *filler* answers per reader
(`register_filler`).

The copy's version is `live.versions`' (every event, page edit and setting moves
it); it lives at most `AGORA_PAGE_CACHE_SECONDS`. A view opts in by calling
`serve(request, render, ...)`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation

from live import versions

from .roles import Role, role_names

logger = logging.getLogger(__name__)

STAND_IN_PK = 0
HEADER = "X-Agora-Shared-Page"
# What a plain resident's roles may be.
PLAIN_ROLES = frozenset({Role.RESIDENT.value})

# A check's clauses: name -> (SELECT ... whose EXISTS is asked, its parameters).
Clauses = dict[str, tuple[str, list[Any]]]
ReaderCheck = Callable[[Any, dict[str, Any]], Clauses]
AfterHook = Callable[[Any, dict[str, Any], dict[str, Any]], None]
Filler = Callable[[Any, dict[str, Any]], dict[str, str]]
_checks: list[ReaderCheck] = []
_after: list[AfterHook] = []
_fillers: list[Filler] = []


def register_reader_check(check: ReaderCheck, after: AfterHook | None = None) -> None:
    """`check(user, note)` returns named clauses: `SELECT`s whose EXISTS is asked
    of the database, all in one query for the reader (plain SQL, as composing
    them with the ORM cost more than the rest of the page; `rows` writes the
    usual ones). A name starting with "differs" that is true means this reader's
    page is their own. `after(user, note, values)` runs on every page served
    from the copy, with all the values."""
    if check not in _checks:
        _checks.append(check)
    if after is not None and after not in _after:
        _after.append(after)


def marks(values: Iterable[Any]) -> str:
    """ "%s, %s, ..." for an IN list of `values` (at least one)."""
    return ", ".join(["%s"] * len(list(values)))


def table(model: Any) -> str:
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


def rows(
    model: Any, *, where: str = "", params: Iterable[Any] = (), **equal: Any
) -> tuple[str, list[Any]]:
    """A clause: the rows of `model` whose columns `equal` their values (a list:
    is one of them), and `where` with its `params` besides."""
    conditions, values = [], []
    for column, value in equal.items():
        if isinstance(value, list | tuple | set):
            conditions.append(f"{column} IN ({marks(value)})")
            values.extend(value)
        else:
            conditions.append(f"{column} = %s")
            values.append(value)
    if where:
        conditions.append(where)
        values.extend(params)
    return f"SELECT 1 FROM {table(model)} WHERE {' AND '.join(conditions)}", values


def register_filler(fill: Filler) -> None:
    """`fill(user, note)` returns, for each marker name its pages put in a copy
    (`mark(name)`), the reader's HTML there: what differs between readers in a
    way that is cheaper to fill in than to render the page for (the front
    page's count of a reader's threads with new posts). It must answer every
    marker its pages put."""
    if fill not in _fillers:
        _fillers.append(fill)


# -- markers -------------------------------------------------------------------


def _secret() -> str:
    # Derived from SECRET_KEY, so no content can carry a marker: whoever wrote
    # it would have to know the key.
    return hmac.new(
        settings.SECRET_KEY.encode(), b"agora.sharedpages", hashlib.sha256
    ).hexdigest()[:24]


def mark(name: str) -> str:
    """The marker put in a shared copy where the reader's `name` goes."""
    return f"agora{_secret()}{name}"


def is_shared_render(request: HttpRequest) -> bool:
    return getattr(request, "_agora_shared", None) is not None


def note(request: HttpRequest, **what: Any) -> None:
    """Record what a page shows, for the reader checks (only while rendering a
    shared copy; a no-op otherwise). Lists are extended, other values set."""
    noted = getattr(request, "_agora_shared", None)
    if noted is None:
        return
    for name, value in what.items():
        if isinstance(value, list | tuple | set):
            noted.setdefault(name, []).extend(value)
        else:
            noted[name] = value


def stand_in() -> Any:
    """A resident with no row: nothing is theirs, so nothing of anyone's shows."""
    user = get_user_model()(pk=STAND_IN_PK, email="", display_name="", is_active=True)
    user._agora_roles = PLAIN_ROLES  # type: ignore[attr-defined]
    user._agora_sanction = None  # type: ignore[attr-defined]
    user._agora_verification = None  # type: ignore[attr-defined]
    return user


def is_stand_in(user: Any) -> bool:
    return getattr(user, "pk", None) == STAND_IN_PK


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context while rendering a shared copy (accounts.context_processors)."""
    return {
        "csrf_token": mark("csrf"),
        "shared_page": True,
        "shared_reader_mark": mark("reader"),
        "shared_viewer_mark": mark("viewer"),
    }


# -- serving -------------------------------------------------------------------


def _plain_reader(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser or user.pk == STAND_IN_PK:
        return False
    if not role_names(user) <= PLAIN_ROLES:
        return False
    waiting = getattr(request, "_messages", None)
    return waiting is None or len(waiting) == 0


def _key(request: HttpRequest) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return copy_key(where, translation.get_language())


def copy_key(address: str, language: str) -> str:
    """The cache key of the copy of the page at `address` in `language`."""
    return f"rpage:{language}:{hashlib.sha256(address.encode()).hexdigest()}"


def serve(
    request: HttpRequest,
    render: Callable[[], HttpResponseBase],
    *,
    shareable: bool = True,
) -> HttpResponseBase:
    """The page `render()` makes for `request.user`, from the shared copy when
    this reader's would be the same. `shareable=False` when the page depends on
    the reader in a way no check covers (a resident's own random order)."""
    if (
        not shareable
        or not settings.AGORA_SHARED_PAGES
        or request.method != "GET"
        or versions.page_seconds() <= 0
        or not _plain_reader(request)
    ):
        return render()
    key = _key(request)
    found = cache.get_many([versions.KEY, key])
    version = found.get(versions.KEY)
    if version is None:
        version = versions.start()
    entry = found.get(key)
    state = "hit"
    if entry is None or entry[0] != version:
        state = "miss"
        # A page that cannot be shared (the stand-in may not read it, say) is
        # remembered as such, so its readers do not pay for a copy each time.
        entry = _render_copy(request, render, version) or (version, None)
        cache.set(key, entry, versions.page_seconds())
    if entry[1] is None:
        return render()
    _version, status, headers, content, noted = entry
    values = _reader_values(request.user, noted)
    if values is None:
        return render()
    for hook in _after:
        hook(request.user, noted, values)
    filled: dict[str, str] = {}
    for fill in _fillers:
        filled.update(fill(request.user, noted))
    return _fill(request, status, headers, content, state, filled)


def _render_copy(
    request: HttpRequest, render: Callable[[], HttpResponseBase], version: int
) -> tuple[Any, ...] | None:
    """Render the page for the stand-in; None if it cannot be shared."""
    from django.contrib.sessions.backends.base import SessionBase

    saved = {
        "user": request.user,
        "session": getattr(request, "session", None),
        "_messages": getattr(request, "_messages", None),
        "META": request.META,
    }
    noted: dict[str, Any] = {}
    request.user = stand_in()
    request.session = SessionBase()  # type: ignore[assignment] (never saved)
    request._messages = []  # type: ignore[attr-defined]
    # A token asked for outside the template (get_token) would be the reader's;
    # the stand-in's request has a secret no browser holds, and such a page is
    # not kept.
    request.META = {**request.META, "CSRF_COOKIE": mark("secret")[:32]}
    request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", None)
    request._agora_shared = noted  # type: ignore[attr-defined]
    try:
        response = render()
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        asked_token = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
        session_touched = request.session.modified  # type: ignore[attr-defined]
    except (Http404, PermissionDenied):
        return None
    except Exception:
        # Whatever failed for the stand-in, the reader still gets their page.
        logger.warning(
            "Shared page %s failed for the stand-in", request.path, exc_info=True
        )
        return None
    finally:
        for name, value in saved.items():
            setattr(request, name, value)
        del request._agora_shared  # type: ignore[attr-defined]
    if (
        asked_token
        or session_touched
        or not isinstance(response, HttpResponse)
        or response.streaming
        or response.status_code != 200
        or response.cookies
        or not response.get("Content-Type", "").startswith("text/html")
        or any(
            word in response.get("Cache-Control", "").lower()
            for word in ("private", "no-store", "no-cache")
        )
    ):
        return None
    headers = [
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in ("content-length", "set-cookie")
    ]
    return (
        version,
        response.status_code,
        headers,
        response.content.decode(response.charset),
        noted,
    )


def _reader_values(user: Any, noted: dict[str, Any]) -> dict[str, Any] | None:
    """Every check's values for this reader, or None if the page is their own."""
    if user.pk in set(noted.get("authors", ())):
        return None
    from django.db import connection

    clauses: Clauses = {}
    for check in _checks:
        clauses.update(check(user, noted))
    if not clauses:
        return {}
    names = list(clauses)
    sql = "SELECT " + ", ".join(f"EXISTS({clauses[n][0]})" for n in names)
    params = [p for n in names for p in clauses[n][1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    values = {name: bool(value) for name, value in zip(names, row, strict=True)}
    if any(v for k, v in values.items() if k.startswith("differs")):
        return None
    return values


def _fill(
    request: HttpRequest,
    status: int,
    headers: Iterable[tuple[str, str]],
    content: str,
    state: str,
    filled: dict[str, str],
) -> HttpResponse:
    from .inbox import unread_count

    user = request.user
    token = get_token(request)
    reader = render_to_string(
        "components/header_reader.html",
        {
            "user": user,
            "unread_notifications": unread_count(user),
            "can_use_admin": False,
            "csrf_token": token,
        },
    )
    page = (
        content.replace(mark("reader"), reader)
        .replace(mark("viewer"), str(user.pk))
        .replace(mark("csrf"), token)
    )
    for name, html in filled.items():
        page = page.replace(mark(name), html)
    response = HttpResponse(page, status=status)
    for name, value in headers:
        response.headers[name] = value
    response.headers[HEADER] = state
    return response
