"""A reply's own request does the same work whatever its thread's audience: the
followers are told by one background task queued in the reply's transaction
(forums.tasks.notify_followers), run here by the database task worker's own task runner."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from forums.actions import do_follow_thread, do_reply, do_start_thread
from tests.factories import (
    DATABASE_TASKS,
    NO_FORUM_RATE_LIMITS,
    UserFactory,
    make_forum,
    run_database_tasks,
)

pytestmark = pytest.mark.django_db


def reply_queries(followers: int) -> tuple[int, object]:
    forum = make_forum(f"Square {followers}")
    ana = UserFactory()
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    for _ in range(followers):
        do_follow_thread(UserFactory(), thread)
    with CaptureQueriesContext(connection) as queries:
        post = do_reply(UserFactory(), thread, "And on Sundays too.")
    return len(queries), post


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS, TASKS=DATABASE_TASKS)
def test_a_reply_costs_the_same_for_two_followers_and_for_forty():
    reply_queries(0)  # the first reply warms per-process caches (content types)
    few, _ = reply_queries(2)
    many, post = reply_queries(40)
    assert many == few
    # Nobody is told until the worker runs: then every follower and the thread's
    # starter (who follows it) get one line each.
    assert not Notification.objects.filter(url=post.get_absolute_url()).exists()
    assert run_database_tasks("forums.tasks.notify_followers") == 3  # one a reply
    told = Notification.objects.filter(url=post.get_absolute_url(), kind="forums.reply")
    assert told.count() == 41
    assert told.values("recipient").distinct().count() == 41
