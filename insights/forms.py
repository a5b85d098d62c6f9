"""The planner's choices when starting an analysis."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ideas.models import IdeaState

from .actions import MAX_CLUSTERS


class StartAnalysisForm(forms.Form):
    k = forms.IntegerField(
        label=_("Number of topics"),
        required=False,
        min_value=1,
        max_value=MAX_CLUSTERS,
        help_text=_("Leave empty to let the analysis choose."),
        error_messages={
            "min_value": _("Choose at least 1 topic, or leave it empty."),
            "max_value": _("Choose at most %(limit_value)s topics."),
            "invalid": _("Enter a whole number, or leave it empty."),
        },
    )
    seed = forms.IntegerField(
        label=_("Random seed"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        initial=0,
        help_text=_("The same seed on the same ideas gives the same topics."),
    )
    states = forms.MultipleChoiceField(
        label=_("Only ideas in these states"),
        required=False,
        choices=[(s.value, s.label) for s in IdeaState if s != IdeaState.WITHDRAWN],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to analyse every published idea."),
    )

    def parameters(self) -> dict[str, Any]:
        data = self.cleaned_data
        filters = {"states": data["states"]} if data.get("states") else {}
        return {"k": data.get("k"), "seed": data.get("seed") or 0, "filters": filters}
