"""Who may read and do what in forums: predicates shared by actions, views, topics and templates."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role
from live import versions

from .hosts import host_for, is_registered
from .models import ForumPage, Thread

LOG_IN_TO_TAKE_PART = _("Log in to take part in the discussion.")


def is_forum_staff(user: Any) -> bool:
    """Moderators and city administrators pin, lock and may start threads anywhere."""
    return has_role(user, Role.MODERATOR) or has_role(user, Role.CITY_ADMIN)


def forum_is_readable(forum: ForumPage, user: Any) -> bool:
    """A forum is readable when its page is live and carries no view restriction.

    Restricted forums (password or groups) stay readable to staff only: their
    threads are not part of the public discussion.
    """
    if not forum.live:
        return False
    # Asked several times per request (page, reply form, topics): remember it on
    # the object, and across requests under the pages' version, which every page
    # and privacy edit moves (live.versions).
    restricted = forum.__dict__.get("_forums_restricted")
    if restricted is None:
        restricted = versions.kept(
            f"forums:restricted:{forum.pk}",
            lambda: forum.get_view_restrictions().exists(),
        )
        forum.__dict__["_forums_restricted"] = restricted
    if restricted:
        return is_forum_staff(user)
    return True


def can_read_thread(user: Any, thread: Thread) -> bool:
    if thread.is_hosted:
        if not is_registered(thread.host_kind):
            return False
        if not host_for(thread.host_kind).can_read(user, thread.host_id):
            return False
    elif thread.forum is None or not forum_is_readable(thread.forum, user):
        return False
    return thread.is_visible_to(user)


def can_read_forum_key(user: Any, key: str) -> bool:
    """Live topic "forum.<id>": readable when the forum page is."""
    if not key.isdigit():
        return False
    forum = ForumPage.objects.filter(pk=int(key)).first()
    return forum is not None and forum_is_readable(forum, user)


def can_read_thread_key(user: Any, key: str) -> bool:
    """Live topic "thread.<id>": readable when the thread is (hosted: the host says)."""
    if not key.isdigit():
        return False
    thread = Thread.objects.select_related("forum").filter(pk=int(key)).first()
    return thread is not None and can_read_thread(user, thread)
