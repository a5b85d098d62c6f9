"""What a moderator decides shows up in the discussion's counts, events and inboxes."""

import pytest

from accounts.models import Notification
from forums.actions import do_follow_thread, do_reply, do_start_thread
from ideas.actions import do_propose_idea
from live.models import Event
from moderation import actions
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db


def test_approving_a_held_reply_counts_it_announces_it_and_tells_followers(
    forum, ana, ben, mia, django_capture_on_commit_callbacks
):
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    do_follow_thread(ana, thread)
    forum.premoderated = True
    forum.save()
    post = do_reply(ben, thread, "Yes, the 2 a.m. bus from the station.")
    thread.refresh_from_db()
    assert thread.post_count == 1
    assert not Notification.objects.filter(recipient=ana, kind="forums.reply").exists()

    with django_capture_on_commit_callbacks(execute=True):
        actions.do_decide(mia, post, "approve")
    thread.refresh_from_db()
    assert thread.post_count == 2 and thread.last_post_id == post.pk
    created = Event.objects.filter(topic=f"thread.{thread.pk}", type="post.created")
    assert created.filter(data__dom_id=post.dom_id()).exists()
    assert Notification.objects.filter(recipient=ana, kind="forums.reply").exists()

    actions.do_decide(mia, post, "hide", reason="Off topic for this thread.")
    thread.refresh_from_db()
    assert thread.post_count == 1
    assert Event.objects.filter(
        topic=f"thread.{thread.pk}", type="post.hidden"
    ).exists()


def test_hiding_a_comment_on_an_idea_lowers_the_idea_comment_count(ana, ben, mia):
    campaign = make_campaign()
    idea = do_propose_idea(
        ana, campaign, title="A library boat", description="Books on the river."
    )
    post = do_reply(ben, idea.thread, "Lovely idea for the summer.")
    idea.refresh_from_db()
    assert idea.comment_count == 1
    actions.do_decide(mia, post, "hide", reason="Personal data in the comment.")
    idea.refresh_from_db()
    assert idea.comment_count == 0
    actions.do_decide(mia, post, "restore")
    idea.refresh_from_db()
    assert idea.comment_count == 1
