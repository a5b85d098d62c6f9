from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _thread_scope(thread: Any) -> tuple[str, str]:
    """What the moderation queue filters by: the forum, or the host (idea comments)."""
    if thread.forum_id:
        return f"forum.{thread.forum_id}", thread.forum.title
    return thread.host_kind, str(_("Comments: %(kind)s") % {"kind": thread.host_kind})


def _lock(moderator: Any, thread: Any, reason: str) -> None:
    from .actions import do_lock_thread

    do_lock_thread(moderator, thread, True, reason)


class ForumsConfig(AppConfig):
    """Forums and the discussion engine: registers content, live topics and exports."""

    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        from accounts import privacy
        from accounts.roles import Role, register_role_permissions
        from live.topics import register_topic
        from moderation.registry import register_content, register_content_action
        from moderation.signals import content_visibility_changed

        from .models import Post, Thread
        from .moderated import posts_visibility_changed, threads_visibility_changed
        from .permissions import can_read_forum_key, can_read_thread_key
        from .privacy import erase_personal_data, export_personal_data

        register_content(
            Thread,
            label=_("thread"),
            url=lambda t: t.get_absolute_url(),
            excerpt=lambda t: t.title[:200],
            context=lambda t: t.forum.title if t.forum_id else t.host_kind,
            scope=_thread_scope,
        )
        register_content(
            Post,
            label=_("post"),
            url=lambda p: p.get_absolute_url(),
            excerpt=lambda p: p.body[:200],
            context=lambda p: p.thread.title,
            scope=lambda p: _thread_scope(p.thread),
        )
        register_content_action(Thread, "lock", str(_("Lock the thread")), _lock)
        content_visibility_changed.connect(
            posts_visibility_changed, sender=Post, dispatch_uid="forums.posts_moderated"
        )
        content_visibility_changed.connect(
            threads_visibility_changed,
            sender=Thread,
            dispatch_uid="forums.threads_moderated",
        )
        from . import searchable

        searchable.register()
        from accounts.sharedpages import register_filler, register_reader_check

        from . import sharedpages

        register_reader_check(sharedpages.reader_check, sharedpages.after_shared_page)
        register_filler(sharedpages.fill_unread_forums)
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
