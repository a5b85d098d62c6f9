"""What of a reader's own a discussion or a forum page shows, for the pages that
signed-in residents share (accounts.sharedpages): a page naming threads, posts,
a read marker or a forum's threads is the reader's own if they wrote in those
threads, liked those posts, follow the thread, have read it only partly, have
threads of theirs waiting or hidden in the forum. The front page's count of
threads they read that have newer posts is filled in (`fill_unread_forums`)."""

from typing import Any

from accounts.sharedpages import Clauses, marks, rows, table
from moderation.models import Visibility

from .models import Post, PostLike, ReadState, Thread, ThreadFollow


def reader_check(user: Any, noted: dict[str, Any]) -> Clauses:
    found: Clauses = {}
    me = user.pk
    if threads := noted.get("threads"):
        found["differs_own_posts"] = rows(Post, author_id=me, thread_id=threads)
    if posts := noted.get("posts"):
        found["differs_likes"] = rows(PostLike, user_id=me, post_id=posts)
    if thread := noted.get("read_thread"):
        # Behind the page's last post: the page shows a "new" marker.
        found["differs_unread"] = rows(
            ReadState,
            user_id=me,
            thread_id=thread,
            where="last_read_post_id < %s",
            params=[noted["read_upto"]],
        )
        found["read_state"] = rows(ReadState, user_id=me, thread_id=thread)
    if thread := noted.get("follow_thread"):
        found["differs_following"] = rows(ThreadFollow, user_id=me, thread_id=thread)
    if forum := noted.get("forum"):
        found["differs_own_threads"] = rows(
            Thread,
            forum_id=forum,
            author_id=me,
            where="visibility <> %s",
            params=[Visibility.PUBLISHED.value],
        )
    if listed := noted.get("forum_threads"):
        # A thread they read whose newer posts the row would count.
        found["differs_unread_threads"] = (
            f"SELECT 1 FROM {table(ReadState)} r JOIN {table(Thread)} t "
            "ON t.id = r.thread_id WHERE r.user_id = %s "
            f"AND r.thread_id IN ({marks(listed)}) "
            "AND r.last_read_post_id < t.last_post_id",
            [me, *listed],
        )
    return found


def after_shared_page(user: Any, noted: dict[str, Any], values: dict[str, Any]) -> None:
    """A discussion read from a shared copy marks the thread read, as the
    reader's own page does (forums.views.discussion_context); a reader whose
    marker was behind got their own page, so here there is only a first one."""
    from .actions import do_mark_thread_read

    thread = noted.get("read_thread")
    if thread and not values.get("read_state"):
        do_mark_thread_read(user, Thread(pk=thread), noted["read_upto"])


def fill_unread_forums(user: Any, noted: dict[str, Any]) -> dict[str, str]:
    """The front page's badge per forum: the reader's threads with new posts
    (forums.queries.with_unread_threads, one query), in the same template as
    the page made for them alone."""
    from django.template.loader import render_to_string

    from .models import ForumPage
    from .queries import with_unread_threads

    listed = noted.get("unread_forums")
    if not listed:
        return {}
    forums = with_unread_threads([ForumPage(pk=pk) for pk in listed], user)
    return {
        f"unread-forum-{forum.pk}": render_to_string(
            "forums/includes/forum_unread.html", {"n": forum.unread_threads}
        )
        for forum in forums
    }
