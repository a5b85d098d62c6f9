"""Many residents like one post at the same moment: the count is exactly right.

Each liker runs in its own thread with its own database connection, so the
database really sees concurrent transactions (SQLite queues them with
IMMEDIATE transactions; PostgreSQL runs them side by side).
"""

import threading

import pytest
from django.db import connections

from forums import actions
from forums.models import Post, PostLike, Thread
from tests.factories import UserFactory, make_forum

pytestmark = pytest.mark.django_db(transaction=True)

LIKERS = 12


def run_concurrently(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    errors: list[BaseException] = []

    def worker(args):
        try:
            barrier.wait(timeout=30)
            fn(*args)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker, args=(a,)) for a in args_list]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []


@pytest.fixture
def liked_post(settings):
    settings.AGORA_FORUM_RATE_LIMITS = {
        "interval_seconds": 0,
        "new_account_interval_seconds": 0,
    }
    forum = make_forum("Concurrency square")
    author = UserFactory()
    thread = actions.do_start_thread(author, forum, "Like me", "Please")
    return thread.posts.get()


def test_concurrent_likes_from_different_residents_are_all_counted(liked_post):
    likers = UserFactory.create_batch(LIKERS)

    def like(user):
        actions.do_set_post_like(user, Post.objects.get(pk=liked_post.pk), True)

    run_concurrently(like, [(u,) for u in likers])
    liked_post.refresh_from_db()
    assert liked_post.like_count == LIKERS == PostLike.objects.count()
    assert Thread.objects.get(pk=liked_post.thread_id).like_count == LIKERS


def test_the_same_resident_clicking_many_times_at_once_likes_once(liked_post):
    fan = UserFactory()

    def like():
        actions.do_set_post_like(fan, Post.objects.get(pk=liked_post.pk), True)

    run_concurrently(like, [() for _ in range(6)])
    liked_post.refresh_from_db()
    assert liked_post.like_count == 1 == PostLike.objects.count()

    def unlike_then_like(liked):
        actions.do_set_post_like(fan, Post.objects.get(pk=liked_post.pk), liked)

    run_concurrently(unlike_then_like, [(False,), (False,), (True,), (False,)])
    liked_post.refresh_from_db()
    assert liked_post.like_count == PostLike.objects.count()
