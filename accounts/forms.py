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
