"""Admin entry point for city administrators: the verification of residents page."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .roles import Role, has_role


class CityAdminMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return has_role(request.user, Role.CITY_ADMIN)


@hooks.register("register_admin_menu_item")
def register_verification_menu_item() -> MenuItem:
    return CityAdminMenuItem(
        _("Verification"),
        reverse("accounts:verification_staff"),
        icon_name="user",
        order=900,
    )
