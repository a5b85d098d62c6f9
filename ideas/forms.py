"""Forms residents and staff fill in; they parse input, actions decide and write."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from .models import (
    ANSWER_STATES,
    IdeaSource,
    IdeaState,
    ImplementationStatus,
    VoteChoice,
)
from .photos import ALLOWED_FORMATS, MAX_PHOTO_BYTES


def _tag_list(value: str) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]


class IdeaForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        min_length=5,
        help_text=_("Say what you propose in one line (at most 150 characters)."),
        error_messages={
            "required": _("Give your idea a title."),
            "min_length": _("Give your idea a title of at least 5 characters."),
        },
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What should change, where, and why it matters to you."),
        error_messages={"required": _("Describe your idea in a few sentences.")},
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Pick categories from the list.")},
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=400,
        help_text=_("Optional free words, separated by commas."),
    )
    address = forms.CharField(
        label=_("Address or place"),
        required=False,
        max_length=200,
        help_text=_("Optional: a street, square or landmark."),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("Optional: click the map to fill these in, or type them."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_(
            "Optional JPEG, PNG or WebP, at most 5 MB. Location data in the file is removed."
        ),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )

    def __init__(self, *args: Any, campaign: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["categories"].queryset = campaign.categories.all().order_by("name")
        if not campaign.categories.exists():
            del self.fields["categories"]
        if not campaign.location_asked:
            for name in ("address", "lat", "lon"):
                del self.fields[name]

    def clean_tags(self) -> list[str]:
        tags = _tag_list(self.cleaned_data.get("tags", ""))
        if len(tags) > 10:
            raise forms.ValidationError(_("Use at most 10 tags."))
        if any(len(t) > 40 for t in tags):
            raise forms.ValidationError(_("Tags can be at most 40 characters long."))
        return tags

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if not photo:
            return photo
        if photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(
                _("The photo is larger than 5 MB. Please send a smaller one.")
            )
        ext = photo.name.rsplit(".", 1)[-1].lower() if "." in photo.name else ""
        if ext not in {*ALLOWED_FORMATS.values(), "jpeg"}:
            raise forms.ValidationError(
                _("Send the photo as a JPEG, PNG or WebP image.")
            )
        return photo

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if ("lat" in self.fields) and (data.get("lat") is None) != (
            data.get("lon") is None
        ):
            raise forms.ValidationError(
                _("Give both latitude and longitude, or neither.")
            )
        return data

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "title": data["title"],
            "description": data["description"],
            "categories": list(data.get("categories") or []),
            "tags": data.get("tags") or [],
        }
        if "lat" in self.fields:
            kwargs.update(
                lat=data.get("lat"),
                lon=data.get("lon"),
                address=data.get("address", ""),
            )
        return kwargs


class RecordIdeaForm(IdeaForm):
    """Staff enter an idea gathered offline, with where it came from."""

    source = forms.ChoiceField(
        label=_("Where was it gathered?"),
        choices=[
            (v, label) for v, label in IdeaSource.choices if v != IdeaSource.ONLINE
        ],
    )
    submitter_name = forms.CharField(
        label=_("Resident's name (as they want it shown)"),
        required=False,
        max_length=60,
    )
    resident_email = forms.EmailField(
        label=_("Resident's account e-mail, if they have one"), required=False
    )

    field_order = ["source", "submitter_name", "resident_email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("photo", None)


class AnswerForm(forms.Form):
    state = forms.ChoiceField(
        label=_("New state"),
        choices=[(s.value, s.label) for s in ANSWER_STATES],
        initial=IdeaState.ACCEPTED,
    )
    text = forms.CharField(
        label=_("Official answer"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("Residents read this. For “not selected”, say why."),
        error_messages={
            "required": _("Write the official answer residents will read.")
        },
    )


class VoteForm(forms.Form):
    choice = forms.TypedChoiceField(choices=VoteChoice.choices, coerce=int)


class ProgressForm(forms.Form):
    """Staff report progress on an implementation (ideas.tracking)."""

    text = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Write what happened: residents read this.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("unchanged")), *ImplementationStatus.choices],
        required=False,
    )
    progress = forms.IntegerField(
        label=_("Progress (%)"), min_value=0, max_value=100, required=False
    )
    spent = forms.DecimalField(
        label=_("Money spent since the last update"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    photo = forms.FileField(label=_("Photo"), required=False)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_on = forms.DateField(
        label=_("Planned for"), widget=forms.DateInput(attrs={"type": "date"})
    )
