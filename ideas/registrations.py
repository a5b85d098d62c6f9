"""What the ideas app tells the floors below it: moderation, live topics, roles, privacy."""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import privacy
from accounts.roles import Role, register_role_permissions
from live.topics import register_topic
from moderation.registry import register_content, register_overdue


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
    from .models import Follow, Idea, MeetingRegistration, MeToo, Support, Vote

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
        "meetings": [
            {"meeting": title, "status": status, "attended": attended}
            for title, status, attended in MeetingRegistration.objects.filter(
                user=user
            ).values_list("meeting__title", "status", "attended")
        ],
        "me_too": list(
            MeToo.objects.filter(user=user).values_list(
                "report__idea__title", flat=True
            )
        ),
        "follows": [
            f.campaign.title if f.campaign_id else f.idea.title
            for f in Follow.objects.filter(user=user).select_related("campaign", "idea")
        ],
    }


def _supporters(idea: Any) -> list[Any]:
    """Residents who support (or agree with) the idea: told when it is a duplicate."""
    from accounts.models import User

    from .models import VoteChoice

    return list(
        User.objects.filter(
            Q(idea_supports__idea=idea)
            | Q(idea_votes__idea=idea, idea_votes__choice=VoteChoice.AGREE)
        ).distinct()
    )


def _overdue_answers() -> list[dict[str, Any]]:
    """Ideas under review whose campaign's answer deadline has passed unanswered."""
    from django.utils import timezone

    from .models import Idea, IdeaState

    now = timezone.now()
    waiting = (
        Idea.objects.filter(
            state=IdeaState.UNDER_REVIEW,
            answered_at__isnull=True,
            review_started_at__isnull=False,
        )
        .select_related("campaign")
        .order_by("review_started_at")
    )
    overdue = []
    for idea in waiting:
        due = idea.answer_due()
        if due is not None and due < now:
            overdue.append(
                {"label": idea.title, "url": idea.get_absolute_url(), "due": due}
            )
    return overdue


def _can_read_implementation(user: Any, key: str) -> bool:
    from .models import Implementation
    from .tracking import is_registered, tracked_kind

    if not key.isdigit():
        return False
    impl = Implementation.objects.filter(pk=int(key)).first()
    if impl is None or not is_registered(impl.subject_kind):
        return False
    return tracked_kind(impl.subject_kind).can_read(user, impl.subject_id)


def _can_read_department(user: Any, key: str) -> bool:
    from .actions import is_department_staff
    from .models import Department

    if not key.isdigit():
        return False
    department = Department.objects.filter(pk=int(key)).first()
    return department is not None and is_department_staff(user, department)


def _idea_can_read(user: Any, idea_id: int) -> bool:
    return _can_read_idea(user, str(idea_id))


def _idea_can_manage(user: Any, idea_id: int) -> bool:
    from .actions import is_city_staff

    return is_city_staff(user)


def _idea_followers(idea_id: int) -> list[Any]:
    from .actions import status_recipients
    from .models import Idea

    idea = Idea.objects.select_related("campaign").filter(pk=idea_id).first()
    return status_recipients(idea) if idea is not None else []


def register() -> None:
    from accounts.sharedpages import register_reader_check

    from . import discussion, searchable, sharedpages
    from .models import Idea
    from .tracking import register_tracked_kind

    register_reader_check(sharedpages.reader_check)

    discussion.register()
    register_tracked_kind(
        "idea",
        label=str(_("idea")),
        can_read=_idea_can_read,
        can_manage=_idea_can_manage,
        url=lambda idea_id: f"/ideas/{idea_id}/",
        followers=_idea_followers,
    )
    register_topic("implementation", _can_read_implementation)
    searchable.register()
    register_topic("department", _can_read_department)
    register_content(
        Idea,
        label=str(_("idea")),
        url=lambda idea: idea.get_absolute_url(),
        excerpt=lambda idea: f"{idea.title}: {idea.description[:200]}",
        context=lambda idea: idea.campaign.title,
        scope=lambda idea: (f"campaign.{idea.campaign_id}", idea.campaign.title),
        supporters=_supporters,
    )
    register_overdue("ideas", _overdue_answers)
    register_topic("campaign", _can_read_campaign)
    register_topic("idea", _can_read_idea)
    privacy.register_export("ideas", _export_ideas)
    model_perms = [
        ("ideas", model, f"{verb}_{model}")
        for model in ("idea", "officialresponse")
        for verb in ("view", "change")
    ]
    # Planners organise meetings; city administrators also keep the departments.
    meeting_perms = [
        ("ideas", "meeting", f"{verb}_meeting") for verb in ("add", "change", "view")
    ]
    department_perms = [
        ("ideas", "department", f"{verb}_department")
        for verb in ("add", "change", "view")
    ]
    register_role_permissions(Role.PLANNER, [*model_perms, *meeting_perms])
    register_role_permissions(
        Role.CITY_ADMIN,
        [
            *model_perms,
            *meeting_perms,
            *department_perms,
            ("ideas", "idea", "add_idea"),
        ],
    )
    register_role_permissions(Role.MODERATOR, [("ideas", "idea", "view_idea")])
