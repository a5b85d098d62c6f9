"""Asking the index: one engine for the site search, campaign pages and forums.

The resident's text never reaches the database as syntax. It is cut to a length,
split into words (letters and digits only: quotes, operators, brackets and NUL
bytes are dropped), and each word is quoted by us as a prefix term:
FTS5 `"word"*` on SQLite, `'word':*` through `to_tsquery` on PostgreSQL, all
words required. Highlighting escapes the stored text first and only then wraps
the matches in `<mark>`.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import SearchEntry
from .registry import get_kind, state_label

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_TERM_CHARS = 40
# Shorter words match whole words only: "a" as a prefix would match everything.
MIN_PREFIX_CHARS = 3
PER_PAGE = 20
# Deep pages cost as much as the first ones times their depth; nobody reads
# past a few hundred results of a text search.
MAX_PAGES = 50
MAX_IDS = 1000
SNIPPET_CHARS = 220

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES = ("ings", "ing", "ies", "es", "s", "ed")

COLUMNS = (
    "id",
    "kind",
    "object_id",
    "place_id",
    "state",
    "state_label",
    "title",
    "body",
    "url",
    "author_name",
    "created_at",
)


def terms(text: str) -> list[str]:
    """The words of a resident's search text, safe to quote (may be empty)."""
    words = _WORD.findall((text or "")[:MAX_QUERY_CHARS])
    seen: list[str] = []
    for word in words:
        word = word.lower()[:MAX_TERM_CHARS]
        if word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


# --- the database side ------------------------------------------------------


def _match(words: list[str]) -> tuple[str, list[Any], str]:
    """FROM clause with the match, its parameters, and the ORDER BY of relevance."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(
            f"'{w}':*" if len(w) >= MIN_PREFIX_CHARS else f"'{w}'" for w in words
        )
        return (
            "search_searchentry e, to_tsquery(%s::regconfig, %s) q",
            [settings.AGORA_SEARCH_LANGUAGE, tsquery],
            "e.vector @@ q",
        )
    fts = " ".join(f'"{w}"*' if len(w) >= MIN_PREFIX_CHARS else f'"{w}"' for w in words)
    return (
        "search_searchentry e JOIN (SELECT rowid, bm25(search_entry_fts, 4.0, 1.0)"
        " AS score FROM search_entry_fts WHERE search_entry_fts MATCH %s) m"
        " ON m.rowid = e.id",
        [fts],
        "",
    )


def _order() -> str:
    if connection.vendor == "postgresql":
        return "ts_rank(e.vector, q) DESC, e.id DESC"
    return "m.score, e.id DESC"


def _hidden_places_sql() -> tuple[str, list[Any]]:
    """Pages whose content nobody may find: not live, or under a view restriction."""
    from wagtail.models import Page as WagtailPage
    from wagtail.models import PageViewRestriction

    hidden = Q(live=False)
    for path in PageViewRestriction.objects.values_list("page__path", flat=True):
        hidden |= Q(path__startswith=path)
    sql, params = (
        WagtailPage.objects.filter(hidden).values("id").query.sql_with_params()
    )
    return sql, list(params)


@dataclass
class Filters:
    kinds: Sequence[str] = ()
    place_id: int | None = None
    state: str = ""

    def where(self, skip: str = "") -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.kinds and skip != "kind":
            clauses.append(f"e.kind IN ({', '.join(['%s'] * len(self.kinds))})")
            params.extend(self.kinds)
        if self.place_id is not None and skip != "place":
            clauses.append("e.place_id = %s")
            params.append(self.place_id)
        if self.state and skip != "state":
            clauses.append("e.state = %s")
            params.append(self.state)
        return clauses, params


class _Query:
    def __init__(self, words: list[str], filters: Filters) -> None:
        self.words = words
        self.filters = filters
        self.from_sql, self.from_params, match_where = _match(words)
        hidden_sql, hidden_params = _hidden_places_sql()
        self.base_where = [f"(e.place_id IS NULL OR e.place_id NOT IN ({hidden_sql}))"]
        self.base_params = hidden_params
        if match_where:
            self.base_where.insert(0, match_where)

    def _sql(self, select: str, skip: str = "", tail: str = "") -> tuple[str, list]:
        clauses, params = self.filters.where(skip)
        where = " AND ".join([*self.base_where, *clauses])
        sql = f"SELECT {select} FROM {self.from_sql} WHERE {where} {tail}"  # noqa: S608
        return sql, [*self.from_params, *self.base_params, *params]

    def counts_by(self, column: str, skip: str) -> dict[Any, int]:
        sql, params = self._sql(f"e.{column}, COUNT(*)", skip, f"GROUP BY e.{column}")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return dict(cursor.fetchall())

    def state_counts(self) -> dict[tuple[str, str], int]:
        sql, params = self._sql(
            "e.state, MAX(e.state_label), COUNT(*)", "state", "GROUP BY e.state"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {(s, label): n for s, label, n in cursor.fetchall()}

    def entries(self, offset: int, limit: int) -> list[SearchEntry]:
        select = ", ".join(f"e.{c}" for c in COLUMNS)
        sql, params = self._sql(select, tail=f"ORDER BY {_order()} LIMIT %s OFFSET %s")
        return list(SearchEntry.objects.raw(sql, [*params, limit, offset]))

    def ids(self, limit: int) -> list[int]:
        sql, params = self._sql("e.object_id", tail=f"ORDER BY {_order()} LIMIT %s")
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit])
            return [row[0] for row in cursor.fetchall()]


# --- what views use ---------------------------------------------------------


@dataclass
class Facet:
    value: Any
    label: str
    count: int
    selected: bool = False


@dataclass
class Hit:
    kind: str
    kind_label: str
    object_id: int
    url: str
    title: SafeString
    snippet: SafeString
    place_id: int | None
    place_label: str
    state: str
    state_label: str
    author_name: str
    created_at: Any


@dataclass
class Results:
    query: str
    words: list[str]
    page: Page
    total: int
    kinds: list[Facet] = field(default_factory=list)
    places: list[Facet] = field(default_factory=list)
    states: list[Facet] = field(default_factory=list)


class _LazyHits:
    """What Django's Paginator pages through: the count is known, a slice is a query."""

    def __init__(self, query: _Query, total: int, words: list[str]) -> None:
        self.query = query
        self.total = total
        self.words = words
        self.place_labels: dict[int, str] = {}

    def count(self) -> int:
        return self.total

    def __getitem__(self, s: slice) -> list[Hit]:
        start = s.start or 0
        entries = self.query.entries(start, (s.stop or start + PER_PAGE) - start)
        return [_hit(entry, self.words, self.place_labels) for entry in entries]


def _hit(entry: SearchEntry, words: list[str], places: dict[int, str]) -> Hit:
    kind = get_kind(entry.kind)
    return Hit(
        kind=entry.kind,
        kind_label=str(kind.label) if kind else entry.kind,
        object_id=entry.object_id,
        url=entry.url,
        title=highlight(entry.title, words),
        snippet=snippet(entry.body, words),
        place_id=entry.place_id,
        place_label=places.get(entry.place_id or 0, ""),
        state=entry.state,
        state_label=state_label(entry.state, entry.state_label),
        author_name=entry.author_name,
        created_at=entry.created_at,
    )


def search(
    text: str,
    *,
    kinds: Iterable[str] = (),
    place_id: int | None = None,
    state: str = "",
    page_number: Any = 1,
    per_page: int = PER_PAGE,
) -> Results:
    """One page of results for `text`, with facet counts. A fixed number of queries."""
    words = terms(text)
    chosen = [k for k in dict.fromkeys(kinds) if get_kind(k) is not None]
    filters = Filters(kinds=chosen, place_id=place_id, state=(state or "")[:40])
    if not words:
        empty: Page = Paginator([], per_page).get_page(1)
        return Results(query=text, words=[], page=empty, total=0)

    query = _Query(words, filters)
    by_kind = query.counts_by("kind", skip="kind")
    by_place = query.counts_by("place_id", skip="place")
    by_state = query.state_counts()
    total = sum(n for k, n in by_kind.items() if not chosen or k in chosen)
    total = min(total, per_page * MAX_PAGES)

    hits = _LazyHits(query, total, words)
    place_ids = [p for p in by_place if p is not None]
    hits.place_labels = _place_labels(place_ids)
    page: Page = Paginator(hits, per_page).get_page(page_number)  # type: ignore[arg-type]

    results = Results(query=text, words=words, page=page, total=total)
    results.kinds = [
        Facet(k, str(get_kind(k).label), n, k in chosen)  # type: ignore[union-attr]
        for k, n in sorted(by_kind.items())
        if get_kind(k) is not None
    ]
    results.places = sorted(
        (
            Facet(p, hits.place_labels.get(p, ""), n, p == place_id)
            for p, n in by_place.items()
            if p is not None and p in hits.place_labels
        ),
        key=lambda f: (-f.count, f.label),
    )
    results.states = sorted(
        (
            Facet(s, state_label(s, label), n, s == filters.state)
            for (s, label), n in by_state.items()
            if s
        ),
        key=lambda f: (-f.count, f.label),
    )
    return results


def matching_ids(
    kind: str, text: str, *, place_id: int | None = None, limit: int = MAX_IDS
) -> list[int]:
    """Ids of the `kind` things that match `text` (best first), for pages that
    filter and sort their own lists (a campaign's ideas). One or two queries."""
    words = terms(text)
    if not words:
        return []
    query = _Query(words, Filters(kinds=[kind], place_id=place_id))
    return query.ids(limit)


def _place_labels(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    from wagtail.models import Page as WagtailPage

    return dict(WagtailPage.objects.filter(pk__in=ids).values_list("pk", "title"))


# --- highlighting -------------------------------------------------------------


def _stems(words: list[str]) -> list[str]:
    stems = []
    for word in words:
        stem = word
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                stem = word[: -len(suffix)]
                break
        stems.append(stem)
    return sorted(set(stems), key=len, reverse=True)


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    stems = _stems([w for w in words if len(w) >= MIN_PREFIX_CHARS])
    short = [w for w in words if len(w) < MIN_PREFIX_CHARS]
    alternatives = [rf"{re.escape(s)}\w*" for s in stems]
    alternatives += [rf"{re.escape(w)}(?!\w)" for w in short]
    if not alternatives:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})", re.IGNORECASE)


def highlight(text: str, words: list[str]) -> SafeString:
    """`text` escaped, with the words that match wrapped in <mark>."""
    pattern = _pattern(words)
    if pattern is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped just now
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def snippet(text: str, words: list[str], length: int = SNIPPET_CHARS) -> SafeString:
    """A stretch of `text` around its first match, escaped and highlighted."""
    text = " ".join((text or "").split())
    if not text:
        return mark_safe("")
    pattern = _pattern(words)
    match = pattern.search(text) if pattern else None
    start = 0
    if match and match.start() > length // 3:
        start = text.rfind(" ", 0, match.start() - length // 3) + 1
    end = start + length
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    piece = text[start:end]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + highlight(piece, words) + suffix)  # noqa: S308
