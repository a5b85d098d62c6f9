"""Reads that lists share: each returns a queryset of fixed query cost, whatever its length."""

from typing import Any

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from live import versions
from moderation.models import Visibility

from .models import ForumPage, Post, ReadState, Thread

SORTS = {
    "latest": ("-pinned", "-last_activity_at", "-id"),
    "top": ("-like_count", "-id"),
    "unanswered": ("-created_at", "-id"),
}


def forum_threads(
    forum: ForumPage, user: Any, sort: str = "latest"
) -> QuerySet[Thread]:
    """A forum's threads as `user` may see them, in one of SORTS' orders.

    Signed-in residents also get `unread` (posts after their read marker) on
    threads they have opened before: two correlated subqueries that use the
    (user, thread) unique index and the (thread, id) index.
    """
    qs = (
        Thread.objects.filter(forum=forum)
        .visible_to(user)
        .select_related("author")
        .order_by(*SORTS.get(sort, SORTS["latest"]))
    )
    if sort == "unanswered":
        qs = qs.filter(post_count__lte=1)
    return with_unread(qs, user)


def forum_thread_count(forum: ForumPage, user: Any, sort: str = "latest") -> int:
    """How many of `forum_threads(forum, user, sort)` there are, without counting
    the forum again for every reader: the published threads are counted once per
    version of the pages (live.versions: every new, hidden or deleted thread moves
    it) and kept in the cache; a signed-in reader's own waiting or hidden threads
    are added by the author index. The OR of `visible_to` made a signed-in count
    scan the whole forum (2 ms at 10,000 threads on SQLite, every page view)."""
    threads = Thread.objects.filter(forum=forum)
    if sort == "unanswered":
        threads = threads.filter(post_count__lte=1)
    # Kept as long as a cached page: in embedded mode a thread written by
    # another process (a task) moves only that process's version.
    published = versions.kept(
        f"forums:count:{forum.pk}:{sort == 'unanswered'}",
        lambda: threads.filter(visibility=Visibility.PUBLISHED).count(),
    )
    if user is None or not user.is_authenticated:
        return int(published)
    own = threads.filter(
        author_id=user.pk, visibility__in=[Visibility.PENDING, Visibility.HIDDEN]
    ).count()
    return int(published) + own


def with_unread(qs: QuerySet[Thread], user: Any) -> QuerySet[Thread]:
    if user is None or not user.is_authenticated:
        return qs
    last_read = ReadState.objects.filter(thread=OuterRef("pk"), user=user).values(
        "last_read_post_id"
    )[:1]
    unread = (
        Post.objects.filter(
            thread=OuterRef("pk"),
            visibility=Visibility.PUBLISHED,
            id__gt=OuterRef("last_read"),
        )
        .order_by()
        .values("thread")
        .annotate(n=Count("*"))
        .values("n")
    )
    return qs.annotate(
        last_read=Subquery(last_read, output_field=IntegerField()),
    ).annotate(unread=Subquery(unread, output_field=IntegerField()))


def forum_summaries(forums: QuerySet[ForumPage], user: Any = None) -> list[ForumPage]:
    """Forums with their thread count and, for a signed-in resident, how many of the
    threads they have read have new posts since (`unread_threads`). Two queries."""
    return with_unread_threads(forum_totals(forums), user)


def forum_totals(forums: QuerySet[ForumPage]) -> list[ForumPage]:
    """Forums with their published thread count: the same for every visitor, so a
    page may keep it under the version of what pages show. One query."""
    published = Q(threads__visibility=Visibility.PUBLISHED)
    qs = ForumPage.objects.filter(pk__in=forums.values("pk")).order_by("path")
    return list(
        qs.annotate(thread_total=Count("threads", filter=published, distinct=True))
    )


def with_unread_threads(forums: list[ForumPage], user: Any = None) -> list[ForumPage]:
    """Sets `unread_threads` on each forum: for a signed-in resident, the published
    threads they have read that have new posts since; one query over their own
    read states (the (user, thread) index), however many threads the forums hold."""
    counts: dict[int, int] = {}
    if forums and user is not None and user.is_authenticated:
        counts = dict(
            ReadState.objects.filter(
                user=user,
                thread__forum_id__in=[forum.pk for forum in forums],
                thread__visibility=Visibility.PUBLISHED,
                thread__last_post_id__gt=F("last_read_post_id"),
            )
            .values("thread__forum_id")
            .annotate(n=Count("thread_id", distinct=True))
            .values_list("thread__forum_id", "n")
        )
    for forum in forums:
        forum.unread_threads = counts.get(forum.pk, 0)  # type: ignore[attr-defined]
    return forums
