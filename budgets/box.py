"""The budget's side of polls' one ballot mechanism (polls.ballots): the box, the
voter roll, the receipts and the hash-chained log are polls'; this module only turns
a budget's checked choice into a ballot and back, and keeps the running vote counts.

A budget's box is `budget.<id>`; ballots are changeable until close (the voter gives
the receipt of their current ballot), as everywhere in Agora.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from polls import ballots as polls_ballots
from polls.models import BallotBox

if TYPE_CHECKING:
    from .ballots import Choice
    from .models import BudgetPage


def box_key(budget: BudgetPage) -> str:
    return f"budget.{budget.pk}"


def box_for(budget: BudgetPage) -> BallotBox | None:
    return BallotBox.objects.filter(key=box_key(budget)).first()


def ballots_cast(budget: BudgetPage) -> int:
    """Ballots cast so far (replaced ones included). From the first one on, what
    they were cast against is fixed: costs, verdicts, the money, the ballot's
    kind (budgets.actions and budgets/editor.py refuse to change them)."""
    if budget.pk is None:
        return 0
    return (
        BallotBox.objects.filter(key=box_key(budget))
        .values_list("last_seq", flat=True)
        .first()
        or 0
    )


def open_box(budget: BudgetPage, *, at: datetime | None = None) -> BallotBox:
    """Open (or reopen) the budget's box when its voting phase starts."""
    box = polls_ballots.get_or_create_box(
        box_key(budget),
        allow_change=True,
        opens_at=at or timezone.now(),
        closes_at=budget.voting_closes_at,
    )
    changed = []
    if box.opens_at is None or box.opens_at > (at or timezone.now()):
        box.opens_at = at or timezone.now()
        changed.append("opens_at")
    if box.closes_at != budget.voting_closes_at and box.closed_at is None:
        box.closes_at = budget.voting_closes_at
        changed.append("closes_at")
    if changed:
        box.save(update_fields=changed)
    return box


def as_ballot(choice: Choice) -> dict[str, Any]:
    """What goes in the ballot table (and the published log): Pabulib project ids."""
    if isinstance(choice, Mapping):
        return {"points": {k: int(v) for k, v in sorted(choice.items())}}
    return {"projects": sorted(choice)}


def from_ballot(choices: Mapping[str, Any]) -> Choice:
    if "points" in choices:
        return {str(k): int(v) for k, v in choices["points"].items()}
    return frozenset(str(k) for k in choices.get("projects", []))


def tally(
    counts: dict[str, Any], choices: Any, segment: dict[str, Any], sign: int
) -> None:
    """Votes per project kept under the box's row lock (points on cumulative ballots)."""
    if "points" in choices:
        items = choices["points"].items()
    else:
        items = ((k, 1) for k in choices.get("projects", []))
    for key, n in items:
        counts[key] = counts.get(key, 0) + sign * int(n)


def cast(
    user: Any,
    budget: BudgetPage,
    choice: Choice,
    *,
    segment: dict[str, Any] | None = None,
    replacing_receipt: str | None = None,
) -> tuple[polls_ballots.Receipt, BallotBox]:
    """Cast; returns the receipt and the box as it is after the ballot (its running
    counts included), so the caller needs no second read."""
    box = box_for(budget) or open_box(budget)
    receipt = polls_ballots.cast_ballot(
        box,
        user,
        as_ballot(choice),
        segment=segment,
        tally=tally,
        replacing_receipt=replacing_receipt,
    )
    return receipt, box


def has_voted(user: Any, budget: BudgetPage) -> bool:
    box = box_for(budget)
    if box is None or not getattr(user, "is_authenticated", False):
        return False
    return polls_ballots.has_voted(box, polls_ballots.voter_key_for_user(user))


def cast_choices(budget: BudgetPage) -> list[Choice]:
    """Every counted ballot (not replaced), in casting order."""
    box = box_for(budget)
    if box is None:
        return []
    return [from_ballot(b.choices) for b in polls_ballots.counted_ballots(box)]


def close_and_publish(budget: BudgetPage) -> None:
    """At the results: close the box and publish its hash-chained log (once)."""
    box = box_for(budget)
    if box is None:
        return
    polls_ballots.close_box(box)
    polls_ballots.publish_log(
        box,
        meta={
            "budget": budget.title,
            "currency": budget.currency,
            "total": budget.total,
        },
    )
