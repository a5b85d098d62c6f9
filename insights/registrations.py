"""What insights tells the floors below it: its live topic, the planners' admin
permissions, and a hook that places new ideas in the latest report's clusters."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from accounts.roles import Role, register_role_permissions
from live.topics import register_topic


def _can_read_report(user: Any, key: str) -> bool:
    from .actions import can_read_reports
    from .models import InsightReport

    if not key.isdigit() or not can_read_reports(user):
        return False
    return InsightReport.objects.filter(pk=int(key)).exists()


def _idea_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # Published ideas are placed in the latest report's clusters after commit, by
    # a task, so proposing an idea never waits for the model to load.
    from moderation.models import Visibility

    if kwargs.get("raw") or instance.visibility != Visibility.PUBLISHED:
        return
    from .tasks import assign_new_ideas

    campaign_id = instance.campaign_id
    transaction.on_commit(lambda: assign_new_ideas.enqueue(campaign_id))


# Saving an idea with these fields (or with no update_fields) may change its words.
_TEXT_FIELDS = frozenset({"title", "description"})


def _idea_text_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # Every idea gets its sentence embedding after commit, by a task, so that a
    # report later only clusters. Unchanged words cost the task one query.
    from django.conf import settings

    fields = kwargs.get("update_fields")
    if kwargs.get("raw") or not getattr(settings, "INSIGHTS_EMBEDDINGS", True):
        return
    if fields is not None and not (_TEXT_FIELDS & set(fields)):
        return
    from .tasks import embed_ideas

    idea_id = instance.pk
    transaction.on_commit(lambda: embed_ideas.enqueue([idea_id]))


def register() -> None:
    from ideas.links import register_campaign_link
    from ideas.models import Idea

    from .links import campaign_reports_link

    register_topic("insights.report", _can_read_report)
    perms = [
        ("insights", "insightreport", "view_insightreport"),
        ("insights", "insightreport", "add_insightreport"),
    ]
    register_role_permissions(Role.PLANNER, perms)
    register_role_permissions(Role.CITY_ADMIN, perms)
    post_save.connect(_idea_saved, sender=Idea, dispatch_uid="insights.idea_saved")
    post_save.connect(
        _idea_text_saved, sender=Idea, dispatch_uid="insights.idea_text_saved"
    )
    register_campaign_link(campaign_reports_link)
