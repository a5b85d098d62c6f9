"""The moderation queue, the moderators' dashboard and the audit CSV in the Wagtail admin.

Only moderators see the menu items and may open the pages (each view checks too).
"""

from typing import Any

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views
from .actions import is_moderator

admin_urls = (
    [
        path("queue/", admin_views.queue, name="queue"),
        path("queue/<int:pk>/", admin_views.item_detail, name="item"),
        path("dashboard/", admin_views.dashboard, name="dashboard"),
        path("audit.csv", admin_views.audit_csv, name="audit_csv"),
    ],
    "moderation_admin",
)


@hooks.register("register_admin_urls")
def register_admin_urls() -> list[Any]:
    return [path("moderation/", include(admin_urls))]


class ModeratorMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return is_moderator(request.user)


@hooks.register("register_admin_menu_item")
def register_queue_menu_item() -> MenuItem:
    return ModeratorMenuItem(
        _("Moderation queue"),
        reverse("moderation_admin:queue"),
        icon_name="warning",
        order=150,
    )


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item() -> MenuItem:
    return ModeratorMenuItem(
        _("Moderation clocks"),
        reverse("moderation_admin:dashboard"),
        icon_name="time",
        order=151,
    )
