"""Wagtail's database search backend, fed only words.

Every `.search(text)` in Agora (site search, forum search, a campaign's `?q=`, and
whatever other apps add) hands the visitor's text to the backend, and the SQLite
FTS5 backend passes its terms into a MATCH expression: a stray `"`, `*`, `^`,
`(` or `NEAR(` there is an FTS5 syntax error, a 500. Here a plain-text query keeps
only its words (letters and digits in any script), so any input is a valid
query; search means "find these words" and loses nothing a resident meant.
Configured as WAGTAILSEARCH_BACKENDS' BACKEND ("config.search").
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from modelsearch.backends import database
from modelsearch.backends.base import EmptySearchResults

# Anything that is neither a word character nor whitespace separates words.
NOT_A_WORD = re.compile(r"[^\w\s]+|_+")
MAX_QUERY_CHARS = 200
FTS_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


def clean_query(query: str) -> str:
    words = NOT_A_WORD.sub(" ", query[: MAX_QUERY_CHARS * 2]).split()
    # FTS5 reads upper-case AND/OR/NOT/NEAR as operators; a visitor who typed
    # them meant them as glue, not as words to find.
    return " ".join(w for w in words if w not in FTS_OPERATORS)[:MAX_QUERY_CHARS]


class NothingFound(EmptySearchResults):
    """No results, for a query with no words left (`"`, bad UTF-8), that still
    names its model as a queryset does: the admin's listings read
    `object_list.model`, and the backend's own empty results leave it None."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def _clone(self) -> NothingFound:
        return self.__class__(self.model)


def SearchBackend(params: dict[str, Any]) -> Any:  # noqa: N802 (Wagtail's name)
    backend = database.SearchBackend(params)

    class WordsOnly(type(backend)):  # type: ignore[misc]
        def _search(
            self, compiler: Any, query: Any, model_or_queryset: Any, **kwargs: Any
        ) -> Any:
            if isinstance(query, str):
                query = clean_query(query)
                if not query:
                    model = (
                        model_or_queryset.model
                        if isinstance(model_or_queryset, QuerySet)
                        else model_or_queryset
                    )
                    return NothingFound(model)
            return super()._search(compiler, query, model_or_queryset, **kwargs)

    backend.__class__ = WordsOnly
    return backend
