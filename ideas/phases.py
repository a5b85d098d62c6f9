"""What each campaign phase allows residents to do: data, not code scattered over views.

Like adhocracy4's phase "features", a phase kind names the actions it opens;
actions.py asks `phase_allows(campaign, action)` and templates read the same
answer, so a rule is written once.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    PROPOSE = "propose"
    # "support" means a support in support mode and an agree/disagree/pass vote in
    # vote mode: one phase rule for both ways of showing approval.
    SUPPORT = "support"
    COMMENT = "comment"


class PhaseKind(models.TextChoices):
    COLLECTING = "collecting", _("Collecting ideas")
    SUPPORTING = "supporting", _("Supporting and discussing")
    REVIEWING = "reviewing", _("City reviewing")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


PHASE_ACTIONS: dict[str, frozenset[Action]] = {
    PhaseKind.COLLECTING: frozenset({Action.PROPOSE, Action.SUPPORT, Action.COMMENT}),
    PhaseKind.SUPPORTING: frozenset({Action.SUPPORT, Action.COMMENT}),
    PhaseKind.REVIEWING: frozenset({Action.COMMENT}),
    PhaseKind.ANSWERED: frozenset(),
    PhaseKind.CLOSED: frozenset(),
}

ACTION_CLOSED_MESSAGES = {
    Action.PROPOSE: _(
        "New ideas are not being collected in this phase of the campaign. "
        "You can still read and follow the ideas already proposed."
    ),
    Action.SUPPORT: _(
        "Supporting and voting are closed in this phase of the campaign. "
        "The results so far are kept as they are."
    ),
    Action.COMMENT: _("The discussion is closed in this phase of the campaign."),
}

NOT_STARTED_MESSAGE = _("This campaign has not started yet. Come back when it opens.")
