"""Data the HTTP scenarios need, made inside Django by bench/run.py before the server starts.

Each function returns a JSON-ready dict; "path" is the URL the scenario loads.
Later capabilities add their own functions here (a thread with 500 posts, ...).
"""

from typing import Any


def home_page() -> dict[str, Any]:
    from home.demo import seed_home

    seed_home()
    return {"path": "/"}


def bare_view() -> dict[str, Any]:
    return {"path": "/healthz"}


# --- forums ---------------------------------------------------------------


def _bench_forum(slug: str, title: str) -> Any:
    from forums.models import ForumIndexPage, ForumPage
    from home.demo import seed_home

    home, _created = seed_home()
    index = ForumIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(instance=ForumIndexPage(title="Forums", slug="forums"))
    forum = ForumPage.objects.filter(slug=slug).first()
    if forum is None:
        forum = index.add_child(instance=ForumPage(title=title, slug=slug))
    return forum


def _bench_people(n: int) -> list[Any]:
    from accounts.models import User

    existing = list(User.objects.filter(email__endswith="@bench.test").order_by("pk"))
    if len(existing) < n:
        User.objects.bulk_create(
            [
                User(email=f"p{i}@bench.test", display_name=f"Bench person {i}")
                for i in range(len(existing), n)
            ]
        )
        existing = list(
            User.objects.filter(email__endswith="@bench.test").order_by("pk")
        )
    return existing[:n]


def forum_thread_500_posts() -> dict[str, Any]:
    """A forum thread with 500 posts (Markdown rendered as when written), page 1."""
    from forums.markup import render_body
    from forums.models import Post, Thread

    forum = _bench_forum("bench-thread", "Bench thread forum")
    people = _bench_people(20)
    thread = Thread.objects.filter(forum=forum).first()
    if thread is None:
        thread = Thread.objects.create(forum=forum, author=people[0], title="Long one")
        body = "A *reply* with a [link](https://example.org) and some words. " * 3
        html = render_body(body, with_mentions=False).html
        Post.objects.bulk_create(
            [
                Post(thread=thread, author=people[i % 20], body=body, body_html=html)
                for i in range(500)
            ]
        )
        last = thread.posts.order_by("-id").first()
        Thread.objects.filter(pk=thread.pk).update(post_count=500, last_post_id=last.pk)
    return {"path": f"/discussions/threads/{thread.pk}/"}


def forum_10000_threads() -> dict[str, Any]:
    """A forum page listing 10,000 threads (latest activity first), page 1."""
    from datetime import timedelta

    from django.utils import timezone

    from forums.models import Thread

    forum = _bench_forum("bench-forum", "Bench forum")
    people = _bench_people(50)
    if not Thread.objects.filter(forum=forum).exists():
        now = timezone.now()
        Thread.objects.bulk_create(
            [
                Thread(
                    forum=forum,
                    author=people[i % 50],
                    title=f"Thread number {i}",
                    post_count=1 + i % 7,
                    like_count=i % 13,
                    last_activity_at=now - timedelta(minutes=i),
                )
                for i in range(10_000)
            ],
            batch_size=2000,
        )
    return {"path": forum.url}
