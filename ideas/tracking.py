"""Implementation tracking: what became of an accepted idea or a funded project.

One mechanism for every app that carries things through to the end (Decidim calls
it accountability). The tracked thing stays in its own app; ideas keeps its
implementation record (`Implementation`: status, progress, money, place), its
milestones and its timeline of updates. An app plugs in once, in its
AppConfig.ready(), by naming a *kind* and telling this module who may read and
who may report progress, where the thing lives and who hears of each update:

    from ideas.tracking import register_tracked_kind

    register_tracked_kind(
        "budget_project",
        label=_("budget project"),
        can_read=lambda user, subject_id: ...,    # bool
        can_manage=lambda user, subject_id: ...,  # bool: may post progress
        url=lambda subject_id: f"/budgets/project/{subject_id}/",
        followers=lambda subject_id: [...],       # users told of each update
    )

then starts tracking with `ideas.actions.do_start_tracking(kind, subject_id,
title=..., scope="budget.7")` and posts progress with
`ideas.actions.do_post_progress(user, implementation, ...)`. `scope` groups
records for a public results page (`ideas.queries.results_context(request,
scope)` + the template `ideas/includes/results.html`). See docs/tracking.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TrackedKind:
    """What tracking needs to know about one kind of tracked thing."""

    kind: str
    label: str
    can_read: Callable[[Any, int], bool]
    can_manage: Callable[[Any, int], bool]
    url: Callable[[int], str]
    followers: Callable[[int], Iterable[Any]]


_kinds: dict[str, TrackedKind] = {}


def register_tracked_kind(
    kind: str,
    *,
    label: str,
    can_read: Callable[[Any, int], bool],
    can_manage: Callable[[Any, int], bool],
    url: Callable[[int], str],
    followers: Callable[[int], Iterable[Any]] = lambda subject_id: (),
) -> None:
    """Register (or replace) a kind of tracked thing. Call from an app's ready()."""
    if not kind or len(kind) > 40 or not kind.replace("_", "").isalnum():
        raise ValueError(f"a tracked kind is a short word, not {kind!r}")
    _kinds[kind] = TrackedKind(
        kind=kind,
        label=str(label),
        can_read=can_read,
        can_manage=can_manage,
        url=url,
        followers=followers,
    )


def tracked_kind(kind: str) -> TrackedKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise LookupError(
            f"no tracked kind {kind!r} is registered "
            "(ideas.tracking.register_tracked_kind)"
        ) from None


def is_registered(kind: str) -> bool:
    return kind in _kinds
