"""Threads and posts in the Wagtail admin: staff find and inspect them (filters: forum,
author, state). Changes of state stay in forums.actions and the moderation queue, so
the listings are for reading; only superusers may use the edit forms."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from accounts.admin_policies import register_no_add_policy

from .models import Post, Thread

# Threads and posts are made only by forums.actions (a thread needs its forum or
# host and its first post): the admin offers no "Add". Registered here, before the
# viewsets below ask the registry for their policy.
register_no_add_policy(Thread)
register_no_add_policy(Post)


class ThreadViewSet(ModelViewSet):
    model = Thread
    copy_view_enabled = False
    icon = "comment"
    menu_label = _("Threads")
    list_display = [
        "title",
        "forum",
        "author",
        "visibility",
        "post_count",
        "created_at",
    ]
    list_filter = ["forum", "author", "visibility", "pinned", "locked"]
    search_fields = ["title"]
    inspect_view_enabled = True
    form_fields = ["title", "pinned", "locked", "lock_reason"]


class PostViewSet(ModelViewSet):
    model = Post
    copy_view_enabled = False
    icon = "comment"
    menu_label = _("Posts")
    list_display = ["__str__", "author", "visibility", "like_count", "created_at"]
    list_filter = ["thread__forum", "author", "visibility"]
    search_fields = ["body"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "thread",
        "author",
        "reply_to",
        "body",
        "visibility",
        "created_at",
        "edited_at",
        "deleted_at",
        "like_count",
    ]
    form_fields = ["visibility", "visibility_reason"]


class DiscussionViewSetGroup(ModelViewSetGroup):
    menu_label = _("Discussions")
    menu_icon = "comment"
    items = (ThreadViewSet("forum_threads"), PostViewSet("forum_posts"))


@hooks.register("register_admin_viewset")
def register_discussion_viewsets() -> DiscussionViewSetGroup:
    return DiscussionViewSetGroup()
