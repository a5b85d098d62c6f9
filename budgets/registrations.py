"""What budgets tells the floors below it: live topics, moderation, tracking, roles."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from live.topics import register_topic
from moderation.registry import register_content


def _can_read_budget(user: Any, key: str) -> bool:
    from .models import BudgetPage

    if not key.isdigit():
        return False
    return BudgetPage.objects.live().public().filter(pk=int(key)).exists()


def register() -> None:
    from . import tracking
    from .models import Project

    register_topic("budget", _can_read_budget)
    register_content(
        Project,
        label=str(_("budget project")),
        url=lambda p: p.get_absolute_url(),
        excerpt=lambda p: f"{p.title}: {p.description[:200]}",
        context=lambda p: p.budget.title,
        scope=lambda p: (f"budget.{p.budget_id}", p.budget.title),
    )
    tracking.register()
