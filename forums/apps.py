from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    """Forums and the discussion engine: registers content, live topics and exports."""

    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        from accounts import privacy
        from accounts.roles import Role, register_role_permissions
        from live.topics import register_topic
        from moderation.registry import register_content

        from .models import Post, Thread
        from .permissions import can_read_forum_key, can_read_thread_key
        from .privacy import erase_personal_data, export_personal_data

        register_content(
            Thread,
            label=_("thread"),
            url=lambda t: t.get_absolute_url(),
            excerpt=lambda t: t.title[:200],
            context=lambda t: t.forum.title if t.forum_id else t.host_kind,
        )
        register_content(
            Post,
            label=_("post"),
            url=lambda p: p.get_absolute_url(),
            excerpt=lambda p: p.body[:200],
            context=lambda p: p.thread.title,
        )
        register_topic("forum", can_read_forum_key)
        register_topic("thread", can_read_thread_key)
        privacy.register_export("forums", export_personal_data)
        privacy.register_erasure("forums", erase_personal_data)
        staff_perms = [
            ("forums", model, f"{verb}_{model}")
            for model in ("thread", "post")
            for verb in ("view",)
        ]
        register_role_permissions(Role.MODERATOR, staff_perms)
        register_role_permissions(Role.CITY_ADMIN, staff_perms)
