"""The planners' link from a campaign page to its insight reports (ideas.links)."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from .actions import can_read_reports


def campaign_reports_link(user: Any, campaign: Any) -> tuple[str, str] | None:
    if not can_read_reports(user):
        return None
    return _("Insights: analyse these ideas"), reverse(
        "insights:campaign", args=[campaign.pk]
    )
