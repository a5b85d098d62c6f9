"""Links that apps above ideas add to a campaign page (e.g. insights' reports for
planners), so the campaign page never imports them: they register here."""

from collections.abc import Callable
from typing import Any

# fn(user, campaign) -> (label, url) or None when the link is not for this user
CampaignLink = Callable[[Any, Any], tuple[str, str] | None]
_campaign_links: list[CampaignLink] = []


def register_campaign_link(fn: CampaignLink) -> None:
    if fn not in _campaign_links:
        _campaign_links.append(fn)


def campaign_links(user: Any, campaign: Any) -> list[tuple[str, str]]:
    return [link for fn in _campaign_links if (link := fn(user, campaign))]
