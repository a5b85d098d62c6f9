"""Keeping the discussion right when a moderator changes what is visible.

Moderation updates visibility in bulk and sends `content_visibility_changed`;
here the thread counters are recounted from the published rows, and a post that a
moderator approves is announced (live event, notifications) as if it had just
been posted, because for everyone but its author it just was.
"""

from typing import Any

from django.db import transaction
from django.db.models import Count, Max

import live
from moderation.models import Visibility

from . import fragments, notify
from .markup import render_body
from .models import Post, Thread


def recount_threads(thread_ids: set[int]) -> None:
    """Published posts (tombstones included) per thread; one query, then one per thread."""
    counts = {
        row["thread_id"]: row
        for row in Post.objects.filter(
            thread_id__in=thread_ids, visibility=Visibility.PUBLISHED
        )
        .values("thread_id")
        .annotate(n=Count("id"), last=Max("id"))
    }
    for thread_id in thread_ids:
        row = counts.get(thread_id)
        if row is None:
            # Nothing published: the count is zero; last_post keeps pointing at
            # the (now hidden) opening post, which only staff can open.
            Thread.objects.filter(pk=thread_id).update(post_count=0)
        else:
            Thread.objects.filter(pk=thread_id).update(
                post_count=row["n"], last_post_id=row["last"]
            )


def posts_visibility_changed(
    sender: Any, object_ids: list[int], visibility: str, decision: str, **kwargs: Any
) -> None:
    posts = list(
        Post.objects.filter(pk__in=object_ids).select_related(
            "thread", "thread__forum", "author", "reply_to__author"
        )
    )
    recount_threads({p.thread_id for p in posts})
    if visibility != Visibility.PUBLISHED:
        for post in posts:
            live.publish_on_commit(
                post.thread.topic(),
                "post.hidden",
                {"dom_id": post.dom_id(), "mode": "remove"},
            )
        return
    for post in posts:
        if post.author is None or post.is_deleted:
            continue
        thread = Thread.objects.get(pk=post.thread_id)
        live.publish_on_commit(
            thread.topic(),
            "post.created",
            {
                "html": fragments.post(post, thread),
                "mode": "append",
                "list": f"{thread.topic()}:posts",
                "dom_id": post.dom_id(),
                "counts": {"posts": thread.post_count, "replies": thread.reply_count},
            },
        )
        mentioned = render_body(post.body).mentioned
        transaction.on_commit(lambda p=post, m=mentioned: notify.new_post(p, m))


def threads_visibility_changed(
    sender: Any, object_ids: list[int], visibility: str, decision: str, **kwargs: Any
) -> None:
    # A thread's opening post follows its thread's decision (moderation decides
    # them together), so the counters are recounted through the posts.
    recount_threads(set(object_ids))
