"""Ideas' comments are a discussion hosted by the forums engine (forums.hosts).

This module tells forums who may read and post (the campaign's phase decides)
and keeps each idea's comment count in step with its thread, inside the same
transaction as the post.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import F
from django.db.models.signals import post_save
from django.utils.translation import gettext as _

from forums.hosts import register_thread_host
from forums.models import Post
from moderation.models import Visibility
from moderation.signals import content_visibility_changed

from .phases import ACTION_CLOSED_MESSAGES, NOT_STARTED_MESSAGE, Action

IDEA_HOST = "idea"
# Arguments for and against: two more threads per idea, each post a short point.
POINTS_FOR_HOST = "idea_for"
POINTS_AGAINST_HOST = "idea_against"
POINT_HOSTS = (POINTS_FOR_HOST, POINTS_AGAINST_HOST)
# Which Idea counter each hosted thread keeps in step.
COUNT_FIELD = {
    IDEA_HOST: "comment_count",
    POINTS_FOR_HOST: "points_for_count",
    POINTS_AGAINST_HOST: "points_against_count",
}


# The idea a page already loaded, so the host's checks during that page's render
# (can_read, can_post) don't load it again.
_shown: ContextVar[Any] = ContextVar("ideas_discussion_shown", default=None)


@contextmanager
def showing(idea: Any) -> Iterator[None]:
    """While a page renders `idea`'s discussion, the host answers from it."""
    token = _shown.set(idea)
    try:
        yield
    finally:
        _shown.reset(token)


def _idea(host_id: int) -> Any:
    from .models import Idea

    shown = _shown.get()
    if shown is not None and shown.pk == host_id:
        return shown
    return Idea.objects.select_related("campaign", "author").filter(pk=host_id).first()


def can_read(user: Any, host_id: int) -> bool:
    idea = _idea(host_id)
    return bool(idea and idea.campaign.live and idea.is_visible_to(user))


def can_post(user: Any, host_id: int) -> str | None:
    """None if the user may comment now, else why not (the phase decides)."""
    from .models import IdeaState

    idea = _idea(host_id)
    if idea is None or not idea.campaign.live or not idea.is_visible_to(user):
        return str(_("This discussion is not available."))
    if idea.visibility != Visibility.PUBLISHED:
        return str(_("Comments open once the idea is published."))
    if idea.state == IdeaState.WITHDRAWN:
        return str(_("This idea was withdrawn by its author."))
    if idea.campaign.allows(Action.COMMENT):
        return None
    if not idea.campaign.has_started():
        return str(NOT_STARTED_MESSAGE)
    return str(ACTION_CLOSED_MESSAGES[Action.COMMENT])


def _url(host_id: int) -> str:
    return f"/ideas/{host_id}/"


def _points_url(host_id: int) -> str:
    return f"/ideas/{host_id}/#arguments"


def _premoderated(host_id: int) -> bool:
    idea = _idea(host_id)
    return bool(idea and idea.campaign.premoderated)


def _recipients(host_id: int) -> list[Any]:
    idea = _idea(host_id)
    return [idea.author] if idea and idea.author else []


def count_comment(sender: Any, instance: Post, created: bool, **kwargs: Any) -> None:
    """A published post in an idea's thread counts as a comment on the idea.

    Runs inside forums' do_reply transaction, so the two counts commit together.
    A post published later by a moderator is counted by recounting the thread.
    """
    from .models import Idea

    thread = instance.thread
    field = COUNT_FIELD.get(thread.host_kind or "")
    if field is None or kwargs.get("raw"):
        return
    if created:
        if instance.visibility == Visibility.PUBLISHED:
            Idea.objects.filter(pk=thread.host_id).update(**{field: F(field) + 1})
        return
    published = Post.objects.filter(
        thread_id=thread.pk, visibility=Visibility.PUBLISHED
    ).count()
    Idea.objects.filter(pk=thread.host_id).update(**{field: published})


def register() -> None:
    register_thread_host(
        IDEA_HOST,
        can_read=can_read,
        can_post=can_post,
        url=_url,
        premoderated=_premoderated,
        recipients=_recipients,
        label=str(_("idea")),
    )
    for kind, label in (
        (POINTS_FOR_HOST, _("points for an idea")),
        (POINTS_AGAINST_HOST, _("points against an idea")),
    ):
        register_thread_host(
            kind,
            can_read=can_read,
            can_post=can_post,
            url=_points_url,
            premoderated=_premoderated,
            recipients=_recipients,
            label=str(label),
        )
    post_save.connect(count_comment, sender=Post, dispatch_uid="ideas.count_comment")
    content_visibility_changed.connect(
        recount_comments, sender=Post, dispatch_uid="ideas.recount_comments"
    )


def recount_comments(sender: Any, object_ids: list[int], **kwargs: Any) -> None:
    """A moderator published or hid comments: recount the ideas they belong to."""
    from .models import Idea

    hosts = set(
        Post.objects.filter(pk__in=object_ids, thread__host_kind__in=list(COUNT_FIELD))
        .values_list("thread__host_kind", "thread__host_id")
        .distinct()
    )
    for kind, idea_id in hosts:
        published = Post.objects.filter(
            thread__host_kind=kind,
            thread__host_id=idea_id,
            visibility=Visibility.PUBLISHED,
        ).count()
        Idea.objects.filter(pk=idea_id).update(**{COUNT_FIELD[kind]: published})
