"""What each phase of a participatory budget allows: data, not code scattered over views.

As in ideas.phases (and adhocracy4's phase features), a phase names the actions it
opens; actions, views and templates all ask `budget.allows(action)`.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    PROPOSE = "propose"
    REVIEW = "review"  # staff: cost estimate and feasibility verdict
    VOTE = "vote"
    TRACK = "track"  # staff: implementation progress of funded projects


class BudgetPhase(models.TextChoices):
    PROPOSING = "proposing", _("Proposing projects")
    REVIEW = "review", _("Feasibility review")
    VOTING = "voting", _("Voting")
    RESULTS = "results", _("Results")
    IMPLEMENTATION = "implementation", _("Implementation")


PHASE_ORDER = [p.value for p in BudgetPhase]

PHASE_ACTIONS: dict[str, frozenset[Action]] = {
    BudgetPhase.PROPOSING: frozenset({Action.PROPOSE, Action.REVIEW}),
    BudgetPhase.REVIEW: frozenset({Action.REVIEW}),
    BudgetPhase.VOTING: frozenset({Action.VOTE}),
    BudgetPhase.RESULTS: frozenset({Action.TRACK}),
    BudgetPhase.IMPLEMENTATION: frozenset({Action.TRACK}),
}

ACTION_CLOSED_MESSAGES = {
    Action.PROPOSE: _(
        "Projects are not being proposed in this phase of the budget. You can still "
        "read the projects already proposed."
    ),
    Action.REVIEW: _("Projects are only reviewed before the voting starts."),
    Action.VOTE: _(
        "Voting is not open in this phase of the budget. Ballots already cast are "
        "kept as they are."
    ),
    Action.TRACK: _("Progress is reported once the results are published."),
}
