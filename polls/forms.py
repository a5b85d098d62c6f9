"""The poll editor (Wagtail): once the first ballot is in, the questions and their
options are locked, because a ballot names a question by its id and an option by its
position in the list.

The editor says so above the questions and refuses a change with the reason;
`PollPage.save` refuses it too, for paths that skip the form (a revision saved
before the first ballot and published later by the scheduler or a workflow).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import HelpPanel

LOCKED_FIELDS = ("text", "kind", "max_choices", "options_text")


def lock_message(ballots: int) -> str:
    return ngettext(
        "Voting has started (%(n)d ballot cast): questions and their options can "
        "no longer be added, removed or changed, because ballots name options by "
        "their position. If they are wrong, cancel the poll and make a new one.",
        "Voting has started (%(n)d ballots cast): questions and their options can "
        "no longer be added, removed or changed, because ballots name options by "
        "their position. If they are wrong, cancel the poll and make a new one.",
        ballots,
    ) % {"n": ballots}


def _norm(name: str, value: Any) -> Any:
    """A field as a ballot depends on it: options are the trimmed non-empty lines,
    in order, as they are counted (so a stray blank line changes nothing)."""
    if name == "options_text":
        return tuple(
            line.strip() for line in str(value or "").splitlines() if line.strip()
        )
    if name == "text":
        return str(value or "").strip()
    return value or None


def frozen_question(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_norm(name, values.get(name)) for name in LOCKED_FIELDS)


def frozen_of(question: Any) -> tuple[Any, ...]:
    return frozen_question({name: getattr(question, name) for name in LOCKED_FIELDS})


class PollPageForm(WagtailAdminPageForm):
    """Refuses any change to the questions once a ballot has been cast, and marks
    each question or field that was changed."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        poll = self.instance
        cast = poll.ballots_cast() if poll.pk else 0
        formset = self.formsets.get("questions")
        if not cast or formset is None:
            return cleaned
        formset.is_valid()  # fills each question form's cleaned_data
        changed = False
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            deleted = bool(data.get("DELETE"))
            if form.instance.pk is None:
                if form.has_changed() and not deleted:
                    form.add_error(None, _("No question can be added any more."))
                    changed = True
            elif deleted:
                form.add_error(None, _("This question can no longer be removed."))
                changed = True
            else:
                # form.initial: the stored question (the instance already holds
                # what was typed once the form is cleaned).
                for name in LOCKED_FIELDS:
                    if name in data and _norm(name, data[name]) != _norm(
                        name, form.initial.get(name)
                    ):
                        form.add_error(name, _("Locked: voting has started."))
                        changed = True
        if changed:
            raise forms.ValidationError(lock_message(cast), code="questions_locked")
        return cleaned


class LockedAfterBallotsNotice(HelpPanel):
    """A warning at the top of an editor once ballots are in, so staff know what
    is locked before they try (the form refuses changes in any case). Polls and
    budgets share it: a subclass says how ballots are counted (`ballots_of`) and
    what the lock covers (`message`)."""

    @staticmethod
    def ballots_of(instance: Any) -> int:
        raise NotImplementedError

    @staticmethod
    def message(ballots: int) -> str:
        raise NotImplementedError

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            instance = self.instance
            self.ballots = (
                self.panel.ballots_of(instance) if instance and instance.pk else 0
            )
            self.content = (
                format_html(
                    '<p class="help-block help-warning">{}</p>',
                    self.panel.message(self.ballots),
                )
                if self.ballots
                else ""
            )

        def is_shown(self) -> bool:
            return bool(self.ballots)


class QuestionsLockedNotice(LockedAfterBallotsNotice):
    """Shown above the questions once voting has started."""

    @staticmethod
    def ballots_of(instance: Any) -> int:
        return instance.ballots_cast()

    @staticmethod
    def message(ballots: int) -> str:
        return lock_message(ballots)
