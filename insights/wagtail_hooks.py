"""The planners' way in from the Wagtail admin: an "Insights" menu item, and a
button on campaign pages in the page explorer."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from .actions import can_read_reports


class PlannersMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return can_read_reports(request.user)


@hooks.register("register_admin_menu_item")
def register_insights_menu_item() -> MenuItem:
    return PlannersMenuItem(
        _("Insights"), reverse("insights:campaigns"), icon_name="doc-full", order=220
    )


@hooks.register("register_page_listing_more_buttons")
def insights_page_button(page: Any, user: Any, next_url: Any = None) -> Any:
    from ideas.models import CampaignPage

    page_class = page.specific_class or type(page)
    if issubclass(page_class, CampaignPage) and can_read_reports(user):
        yield Button(
            _("Insights"),
            reverse("insights:campaign", args=[page.pk]),
            icon_name="doc-full",
            priority=70,
        )
