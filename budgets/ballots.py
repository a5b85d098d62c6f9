"""What a budget ballot may contain, and where a budget's ballots come from.

Budgets validate their own choices here (known, feasible projects; within the
money, the number of projects or the points). The ballot itself, its secrecy,
receipt, roll and log are polls' one mechanism; an imported election's ballots are
the votes of its Pabulib file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import BudgetPage, Project

Choice = frozenset[str] | Mapping[str, int]


class BallotError(Exception):
    """A ballot refused; the message says what to change. `choice` keeps what the
    voter picked so the form can show it again."""

    def __init__(self, message: str, choice: Any = None) -> None:
        self.message = message
        self.choice = choice
        super().__init__(message)


def money(amount: int | float, currency: str) -> str:
    return f"{intcomma(int(round(amount)))} {currency}"


def _ids(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    return [str(v).strip() for v in values or [] if str(v).strip()]


def clean_choice(
    budget: BudgetPage, raw: Mapping[str, Any], *, district: str | None
) -> Choice:
    """Check the submitted choices against the budget's rules; return them as
    Pabulib project ids (a set, or ids with points on cumulative ballots).

    `raw` is what the form sent: `project` (a list of project ids) for approval
    ballots, `points-<id>` for cumulative ones. `district` is the voter's verified
    district name (None: no district restriction)."""
    from .models import BallotKind, Feasibility, Project

    cumulative = budget.ballot_kind == BallotKind.CUMULATIVE
    if cumulative:
        wanted: dict[str, int] = {}
        for key, value in raw.items():
            if not key.startswith("points-"):
                continue
            text = value[-1] if isinstance(value, list) else value
            text = str(text).strip()
            if not text:
                continue
            try:
                points = int(text)
            except ValueError:
                raise BallotError(
                    _("Points are whole numbers: “%(value)s” is not one.")
                    % {"value": text}
                ) from None
            if points < 0:
                raise BallotError(_("Points cannot be negative."))
            if points:
                wanted[key.removeprefix("points-")] = points
        ids = list(wanted)
    else:
        getter = getattr(raw, "getlist", None)
        ids = _ids(getter("project") if getter else raw.get("project"))
        wanted = dict.fromkeys(ids, 1)
    if not ids:
        raise BallotError(_("Pick at least one project."))
    numeric = [i for i in ids if i.isdigit()]
    if len(numeric) != len(ids):
        raise BallotError(_("This ballot names a project that does not exist."))
    projects = {
        str(p.pk): p
        for p in Project.objects.filter(budget=budget, pk__in=numeric).select_related(
            "district"
        )
    }
    keep = {k: v for k, v in wanted.items() if k in projects}
    for i in ids:
        project = projects.get(i)
        if project is None:
            raise BallotError(
                _("This ballot names a project that is not in this budget."), keep
            )
        if project.feasibility != Feasibility.FEASIBLE or not project.is_published:
            reason = project.feasibility_reason or project.get_feasibility_display()
            raise BallotError(
                _("“%(title)s” is not on the ballot: %(reason)s")
                % {"title": project.title, "reason": reason},
                keep,
            )
        if (
            district is not None
            and project.district is not None
            and project.district.name != district
        ):
            raise BallotError(
                _("“%(title)s” is in %(district)s; you vote in %(yours)s.")
                % {
                    "title": project.title,
                    "district": project.district.name,
                    "yours": district,
                },
                keep,
            )
    chosen: list[Project] = [projects[i] for i in ids]
    if budget.ballot_kind == BallotKind.KNAPSACK:
        _check_money(budget, chosen, keep)
    elif budget.ballot_kind == BallotKind.APPROVAL:
        if budget.max_choices and len(chosen) > budget.max_choices:
            raise BallotError(
                _("You picked %(n)s projects; pick at most %(max)s.")
                % {"n": len(chosen), "max": budget.max_choices},
                keep,
            )
    else:
        total = sum(wanted.values())
        if total > budget.points:
            raise BallotError(
                _(
                    "You gave %(total)s points, %(over)s more than the %(max)s you have. "
                    "Take %(over)s points away."
                )
                % {"total": total, "over": total - budget.points, "max": budget.points},
                keep,
            )
    if cumulative:
        return {projects[i].external_id: wanted[i] for i in ids}
    return frozenset(projects[i].external_id for i in ids)


def _check_money(budget: BudgetPage, chosen: list[Project], keep: Any) -> None:
    pots: dict[int | None, list[Project]] = {}
    for p in chosen:
        pots.setdefault(p.district_id, []).append(p)
    for district_id, projects in pots.items():
        amount = (
            projects[0].district.amount
            if district_id is not None and projects[0].district
            else budget.city_wide_amount()
        )
        spent = sum(p.cost or 0 for p in projects)
        if spent > amount:
            where = (
                projects[0].district.name
                if district_id is not None and projects[0].district
                else budget.title
            )
            raise BallotError(
                _(
                    "Your choices cost %(spent)s, %(over)s over the %(amount)s available "
                    "in %(where)s. Remove projects worth at least %(over)s."
                )
                % {
                    "spent": money(spent, budget.currency),
                    "over": money(spent - amount, budget.currency),
                    "amount": money(amount, budget.currency),
                    "where": where,
                },
                keep,
            )


def ballots_for(budget: BudgetPage) -> list[Choice]:
    """Every ballot of the budget, as Pabulib project ids: an imported election's
    votes from its file; a budget voted in Agora from polls' ballot box."""
    if budget.source_file:
        from .pabulib import parse

        return list(parse(budget.source_file).ballots)
    from .box import cast_choices

    return cast_choices(budget)
