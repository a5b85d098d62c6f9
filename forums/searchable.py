"""What the site's search knows of forums: threads and their posts (public forums only).

Idea comments are posts too, but their host (ideas) registers them: forums cannot
know which campaign a hosted thread belongs to.
"""

from django.utils.translation import gettext_lazy as _

from moderation.models import Visibility
from search.index import Document
from search.registry import register_kind

from .models import Post, Thread


def thread_document(thread: Thread) -> Document | None:
    if not thread.forum_id or thread.visibility != Visibility.PUBLISHED:
        return None
    return Document(
        title=thread.title,
        url=thread.get_absolute_url(),
        place_id=thread.forum_id,
        author_name=str(thread.author) if thread.author_id else "",
        author_id=thread.author_id,
        created_at=thread.created_at,
    )


def post_document(post: Post) -> Document | None:
    thread = post.thread
    if (
        not thread.forum_id
        or thread.visibility != Visibility.PUBLISHED
        or post.visibility != Visibility.PUBLISHED
        or post.deleted_at is not None
    ):
        return None
    return Document(
        title=thread.title,
        body=post.body,
        url=post.get_absolute_url(),
        place_id=thread.forum_id,
        author_name=str(post.author) if post.author_id else "",
        author_id=post.author_id,
        created_at=post.created_at,
    )


def _thread_posts(thread: Thread) -> list[tuple[str, list[int]]]:
    ids = list(thread.posts.values_list("pk", flat=True))
    return [("post", ids)]


def register() -> None:
    from moderation.signals import content_visibility_changed

    register_kind(
        "thread",
        label=_("Discussions"),
        model=Thread,
        document=thread_document,
        queryset=lambda: Thread.objects.filter(forum__isnull=False).select_related(
            "author"
        ),
        dependents=_thread_posts,
        reindex_on=content_visibility_changed,
    )
    register_kind(
        "post",
        label=_("Posts"),
        model=Post,
        document=post_document,
        queryset=lambda: (
            Post.objects.filter(thread__forum__isnull=False)
            .select_related("thread", "author")
            .order_by("pk")
        ),
        reindex_on=content_visibility_changed,
    )
