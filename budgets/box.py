"""The budget's side of polls' ballot box: a budget ballot is cast, changed, receipted
and logged through polls' one mechanism (voter roll + secret ballot + hash-chained
log); this module only turns a budget's choice into that ballot and back.

Until polls' [seam] is merged, no budget voted in Agora has ballots stored anywhere:
`cast_choices` has nothing to read and `cast` refuses, saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .ballots import Choice
    from .models import BudgetPage


class BoxUnavailable(Exception):
    pass


def cast_choices(budget: BudgetPage) -> list[Choice]:
    return []


def cast(user: Any, budget: BudgetPage, choice: Choice) -> str:
    raise BoxUnavailable(_("Voting in this budget is not open yet."))
