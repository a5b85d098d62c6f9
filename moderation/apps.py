"""Moderation: one visibility state for everything residents write, and the queue."""

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _can_read_queue(user: Any, key: str) -> bool:
    from .actions import is_moderator

    return key == "" and is_moderator(user)


def _export(user: Any) -> dict[str, Any]:
    from .models import Appeal, Flag, Sanction

    return {
        "flags": list(
            Flag.objects.filter(user=user).values("reason", "note", "created_at")
        ),
        "appeals": list(
            Appeal.objects.filter(author=user).values("text", "created_at")
        ),
        "sanctions": list(
            Sanction.objects.filter(user=user).values("kind", "reason", "until")
        ),
    }


class ModerationConfig(AppConfig):
    """Visibility of resident-written content, screening, flags, the queue, the audit log."""

    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from accounts import privacy
        from accounts.roles import Role, register_role_permissions
        from live.topics import register_topic

        register_topic("moderation.queue", _can_read_queue)
        from accounts.sharedpages import register_reader_check

        from .sanctions import reader_check

        register_reader_check(reader_check)
        privacy.register_export("moderation", _export)
        register_role_permissions(
            Role.MODERATOR,
            [("moderation", "moderationdecision", "view_moderationdecision")],
        )
