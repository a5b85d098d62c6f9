"""Funded projects are carried through with ideas' one implementation-tracking
mechanism (ideas.tracking): budgets registers its kind here and starts a record for
each funded project when the results are published."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

TRACKED_KIND = "budget_project"


def _can_read(user: Any, project_id: int) -> bool:
    from .models import Project

    project = Project.objects.select_related("budget").filter(pk=project_id).first()
    return bool(project and project.budget.live and project.is_visible_to(user))


def _can_manage(user: Any, project_id: int) -> bool:
    from .actions import is_budget_staff

    return is_budget_staff(user)


def _followers(project_id: int) -> list[Any]:
    """Who hears of each update: the project's author, its followers and, for a
    project that grew from an idea, the idea's supporters. Never its voters:
    ballots are secret."""
    from accounts.models import User
    from ideas.models import Support

    from .models import Project, ProjectFollow

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return []
    ids = set(
        ProjectFollow.objects.filter(project=project).values_list("user_id", flat=True)
    )
    if project.author_id:
        ids.add(project.author_id)
    if project.source_idea_id:
        ids.update(
            Support.objects.filter(idea_id=project.source_idea_id).values_list(
                "user_id", flat=True
            )
        )
    return list(User.objects.filter(pk__in=ids, is_active=True))


def register() -> None:
    from ideas.tracking import register_tracked_kind

    register_tracked_kind(
        TRACKED_KIND,
        label=str(_("budget project")),
        can_read=_can_read,
        can_manage=_can_manage,
        url=lambda project_id: reverse("budgets:project", args=[project_id]),
        followers=_followers,
    )


def start_tracking_funded(budget: Any) -> int:
    """Open an implementation record for every funded project (idempotent)."""
    from ideas.actions import do_start_tracking

    from .models import Project

    n = 0
    for project in Project.objects.filter(budget=budget, funded=True).order_by("id"):
        do_start_tracking(
            TRACKED_KIND,
            project.pk,
            title=project.title,
            scope=f"budget.{budget.pk}",
            lat=project.lat,
            lon=project.lon,
            budget_amount=Decimal(project.cost or 0),
        )
        n += 1
    return n
