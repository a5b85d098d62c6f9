"""Forms residents fill in about themselves."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import User


class SignupDetailsForm(forms.Form):
    """Extra fields on allauth's sign-up form: the name others see, and a language."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        help_text=_("Shown next to your ideas and posts. Use any name you like."),
        error_messages={"required": _("Please enter a display name.")},
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Someone signing up on the Russian site most likely reads Russian.
        current = get_language()
        if current in dict(settings.LANGUAGES):
            self.fields["preferred_language"].initial = current

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter a display name."))
        return name

    def signup(self, request: Any, user: User) -> None:
        # Called by allauth once the account exists.
        user.display_name = self.cleaned_data["display_name"]
        user.preferred_language = self.cleaned_data["preferred_language"]
        user.save(update_fields=["display_name", "preferred_language"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "display_name",
            "preferred_language",
            "email_notifications",
            "stakeholder_group",
        ]
        error_messages = {
            "display_name": {"required": _("Please enter a display name.")}
        }

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter a display name."))
        return name


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label=_("Profile picture"),
        required=False,
        help_text=_("A JPEG, PNG or WebP image up to 2 MB. It is cropped to a square."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that my account is removed for good. What I wrote stays, "
            "shown as by a former resident."
        ),
    )


# --- verification -------------------------------------------------------------


class RegisterCheckForm(forms.Form):
    """What a resident types to be found in the register (never stored)."""

    document_number = forms.CharField(label=_("Document number"), max_length=40)
    date_of_birth = forms.CharField(
        label=_("Date of birth"),
        max_length=20,
        help_text=_("For example 1990-04-23 or 23.04.1990."),
    )
    postcode = forms.CharField(label=_("Postcode"), max_length=20)


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Access code from your letter"),
        max_length=40,
        help_text=_("Capital letters and digits; the dashes do not matter."),
    )


class RegisterUploadForm(forms.Form):
    batch = forms.CharField(label=_("Name of this register"), max_length=100)
    file = forms.FileField(
        label=_("Register (CSV)"),
        help_text=_(
            "UTF-8 CSV with the columns document_number, date_of_birth, postcode and "
            "any of district, year_of_birth, stakeholder_group."
        ),
    )
    keep = forms.MultipleChoiceField(
        label=_("Attributes to keep"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("district", _("District")),
            ("year_of_birth", _("Year of birth")),
            ("stakeholder_group", _("Stakeholder group")),
        ],
        help_text=_("Identifiers are never stored, only a keyed hash of them."),
    )

    MAX_BYTES = 50 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


class AccessCodesForm(forms.Form):
    batch = forms.CharField(label=_("Name of this batch"), max_length=100)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=5000)
    output = forms.ChoiceField(
        label=_("Output"),
        choices=[("sheet", _("Printable sheet")), ("csv", _("CSV file"))],
        help_text=_("Codes are shown only this once: the city keeps only their hash."),
    )


class DeskVerificationForm(forms.Form):
    email = forms.EmailField(label=_("The person's e-mail address"))
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    birth_year = forms.IntegerField(
        label=_("Year of birth"), min_value=1900, max_value=2100, required=False
    )
    stakeholder_group = forms.ChoiceField(
        label=_("Stakeholder group (confirmed)"),
        choices=[("", "—"), *User.StakeholderGroup.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note for the audit log"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Which document you saw, or why you verify this person."),
    )


class RevokeVerificationForm(forms.Form):
    email = forms.EmailField(label=_("The person's e-mail address"))
    reason = forms.CharField(label=_("Reason"), max_length=500)
