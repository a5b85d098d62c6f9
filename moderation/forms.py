"""Forms residents and moderators fill in: flag, appeal, decide, sanction."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import DECISION_LABELS, VISIBILITY_AFTER
from .models import FlagReason, SanctionKind


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=FlagReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Anything the moderators should know (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why should it be shown again?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(d, DECISION_LABELS[d]) for d in VISIBILITY_AFTER],
    )
    reason_code = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "—"), *FlagReason.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason shown to the author"),
        max_length=1000,
        required=False,
        help_text=_("Required to hide, remove or keep hidden."),
    )


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Sanction"), choices=SanctionKind.choices)
    days = forms.IntegerField(
        label=_("Days (suspension)"), min_value=1, max_value=365, required=False
    )
    reason = forms.CharField(label=_("Reason shown to the resident"), max_length=500)


class DuplicateForm(forms.Form):
    other_id = forms.IntegerField(label=_("Number of the idea it duplicates"))
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)
