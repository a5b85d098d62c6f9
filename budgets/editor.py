"""The budget editor (Wagtail): from the first ballot on, what ballots were checked
and will be counted against is locked — the total, the districts and their money,
the ballot's kind and limits — and the phase cannot go back before voting (where
projects' costs could be reviewed again). The editor says so and refuses a change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminPageForm

from polls.forms import LockedAfterBallotsNotice

from .phases import BudgetPhase

LOCKED_FIELDS = ("total", "ballot_kind", "max_choices", "points")
LOCKED_DISTRICT_FIELDS = ("name", "amount")
BEFORE_VOTING = (BudgetPhase.PROPOSING, BudgetPhase.REVIEW)


def lock_message(ballots: int) -> str:
    return ngettext(
        "Voting has started (%(n)d ballot cast): the total, the districts and their "
        "money, the kind of ballot and its limits, and the projects' costs are "
        "fixed, and the budget cannot go back to proposing or review.",
        "Voting has started (%(n)d ballots cast): the total, the districts and their "
        "money, the kind of ballot and its limits, and the projects' costs are "
        "fixed, and the budget cannot go back to proposing or review.",
        ballots,
    ) % {"n": ballots}


def _cast(budget: Any) -> int:
    from .box import ballots_cast

    return ballots_cast(budget) if budget.pk else 0


class BudgetPageForm(WagtailAdminPageForm):
    """Refuses, once a ballot is cast, a change to what the ballots depend on."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cast = _cast(self.instance)
        if not cast:
            return cleaned
        changed = False
        # self.initial: the stored page (the instance takes the typed values once
        # the form is cleaned).
        for name in LOCKED_FIELDS:
            if name in cleaned and cleaned[name] != self.initial.get(name):
                self.add_error(name, _("Locked: voting has started."))
                changed = True
        if cleaned.get("phase") in BEFORE_VOTING:
            self.add_error("phase", _("Voting has started; it cannot go back."))
            changed = True
        districts = self.formsets.get("districts")
        if districts is not None:
            districts.is_valid()  # fills each district form's cleaned_data
            for form in districts.forms:
                data = getattr(form, "cleaned_data", None) or {}
                if form.instance.pk is None:
                    if form.has_changed() and not data.get("DELETE"):
                        form.add_error(None, _("No district can be added any more."))
                        changed = True
                elif data.get("DELETE"):
                    form.add_error(None, _("This district can no longer be removed."))
                    changed = True
                else:
                    for name in LOCKED_DISTRICT_FIELDS:
                        if name in data and data[name] != form.initial.get(name):
                            form.add_error(name, _("Locked: voting has started."))
                            changed = True
        if changed:
            raise forms.ValidationError(lock_message(cast), code="ballot_terms_locked")
        return cleaned


class BallotTermsLockedNotice(LockedAfterBallotsNotice):
    """Shown at the top of the editor once voting has started."""

    @staticmethod
    def ballots_of(instance: Any) -> int:
        return _cast(instance)

    @staticmethod
    def message(ballots: int) -> str:
        return lock_message(ballots)
