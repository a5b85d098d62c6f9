"""Forum search through Wagtail's search backend (database backend by default)."""

from typing import Any

from moderation.models import Visibility

from .models import ForumPage, Post, Thread
from .permissions import forum_is_readable

MAX_RESULTS = 200


def search_forums(query: str, user: Any) -> list[dict[str, Any]]:
    """Threads whose title or posts match, best first, readable by `user` (capped)."""
    thread_hits = Thread.objects.filter(
        visibility=Visibility.PUBLISHED, host_kind=""
    ).search(query)[:MAX_RESULTS]
    post_hits = Post.objects.filter(
        visibility=Visibility.PUBLISHED, deleted_at__isnull=True
    ).search(query)[:MAX_RESULTS]
    order: list[int] = [t.pk for t in thread_hits]
    post_ids = [p.pk for p in post_hits]
    thread_of = dict(
        Post.objects.filter(pk__in=post_ids).values_list("pk", "thread_id")
    )
    excerpt_post: dict[int, int] = {}
    for post_id in post_ids:
        thread_id = thread_of.get(post_id)
        if thread_id is None:
            continue
        excerpt_post.setdefault(thread_id, post_id)
        if thread_id not in order:
            order.append(thread_id)
    threads = {
        t.pk: t
        for t in Thread.objects.filter(
            pk__in=order[:MAX_RESULTS], forum__isnull=False
        ).select_related("forum", "author")
    }
    posts = Post.objects.in_bulk(
        [excerpt_post[t] for t in threads if t in excerpt_post]
    )
    readable: dict[int, bool] = {}
    results = []
    for thread_id in order:
        thread = threads.get(thread_id)
        if thread is None:
            continue
        forum: ForumPage = thread.forum  # type: ignore[assignment]
        if forum.pk not in readable:
            readable[forum.pk] = forum_is_readable(forum, user)
        if not readable[forum.pk]:
            continue
        results.append(
            {"thread": thread, "post": posts.get(excerpt_post.get(thread_id, 0))}
        )
    return results
