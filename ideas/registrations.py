"""What the ideas app tells the floors below it: moderation, live topics, roles, privacy."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts import privacy
from accounts.roles import Role, register_role_permissions
from live.topics import register_topic
from moderation.registry import register_content


def _can_read_campaign(user: Any, key: str) -> bool:
    from .models import CampaignPage

    if not key.isdigit():
        return False
    return CampaignPage.objects.live().public().filter(pk=int(key)).exists()


def _can_read_idea(user: Any, key: str) -> bool:
    from .models import Idea

    if not key.isdigit():
        return False
    idea = Idea.objects.select_related("campaign").filter(pk=int(key)).first()
    if idea is None or not idea.campaign.live:
        return False
    return idea.is_visible_to(user)


def _export_ideas(user: Any) -> dict[str, Any]:
    from .models import Follow, Idea, Support, Vote

    return {
        "ideas": [
            {
                "campaign": idea.campaign.title,
                "title": idea.title,
                "description": idea.description,
                "state": idea.state,
                "visibility": idea.visibility,
                "address": idea.address,
                "lat": idea.lat,
                "lon": idea.lon,
                "created_at": idea.created_at.isoformat(),
            }
            for idea in Idea.objects.filter(author=user).select_related("campaign")
        ],
        "supports": list(
            Support.objects.filter(user=user).values_list("idea__title", flat=True)
        ),
        "votes": [
            {"idea": title, "choice": choice}
            for title, choice in Vote.objects.filter(user=user).values_list(
                "idea__title", "choice"
            )
        ],
        "follows": [
            f.campaign.title if f.campaign_id else f.idea.title
            for f in Follow.objects.filter(user=user).select_related("campaign", "idea")
        ],
    }


def register() -> None:
    from . import discussion
    from .models import Idea

    discussion.register()
    register_content(
        Idea,
        label=str(_("idea")),
        url=lambda idea: idea.get_absolute_url(),
        excerpt=lambda idea: f"{idea.title}: {idea.description[:200]}",
        context=lambda idea: idea.campaign.title,
    )
    register_topic("campaign", _can_read_campaign)
    register_topic("idea", _can_read_idea)
    privacy.register_export("ideas", _export_ideas)
    model_perms = [
        ("ideas", model, f"{verb}_{model}")
        for model in ("idea", "officialresponse")
        for verb in ("view", "change")
    ]
    register_role_permissions(Role.PLANNER, model_perms)
    register_role_permissions(
        Role.CITY_ADMIN, [*model_perms, ("ideas", "idea", "add_idea")]
    )
    register_role_permissions(Role.MODERATOR, [("ideas", "idea", "view_idea")])
