"""Forms for budget pages: they parse input; the rules live in budgets.actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import District, Feasibility


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("What it is and who it helps"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False
    )
    address = forms.CharField(label=_("Place"), max_length=200, required=False)
    lat = forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90
    )
    lon = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    image = forms.ImageField(label=_("Image"), required=False)

    def __init__(self, *args: Any, budget: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = budget.category_list()
        if categories:
            self.fields["category"].choices = [("", "—")] + [(c, c) for c in categories]
        else:
            del self.fields["category"]
        if budget.district_list():
            self.fields["district"].queryset = District.objects.filter(budget=budget)
        else:
            del self.fields["district"]


class ReviewForm(forms.Form):
    cost = forms.IntegerField(label=_("Cost estimate"), required=False, min_value=0)
    feasibility = forms.ChoiceField(label=_("Verdict"), choices=Feasibility.choices)
    reason = forms.CharField(
        label=_("Reason (published with the project)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )


class ConvertIdeaForm(forms.Form):
    idea = forms.IntegerField(label=_("Idea number"), min_value=1)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Pabulib file (.pb)"))
