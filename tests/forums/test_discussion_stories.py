"""Two residents, Ana and Ben, discuss in the Town square forum; a moderator keeps order."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.limits import RateLimited
from accounts.models import Notification, User
from forums import actions
from forums.actions import DiscussionRefused
from forums.models import ForumPage, Post, PostRevision, ReadState, Thread, ThreadFollow
from live.models import Event
from moderation.models import Visibility
from tests.factories import UserFactory, make_forum

pytestmark = pytest.mark.django_db


def start(user, forum, title="Benches on Main Street", body="We need more benches."):
    return actions.do_start_thread(user, forum, title, body)


def test_ana_starts_a_thread_through_the_form_and_sees_it(client, forum, ana):
    client.force_login(ana)
    response = client.post(
        reverse("forums:new_thread", args=[forum.pk]),
        {"title": "Benches on Main Street", "body": "We need **more** benches."},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/discussions/threads/{thread.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<strong>more</strong>" in page.content.decode()
    assert thread.post_count == 1 and thread.author == ana
    assert ThreadFollow.objects.filter(user=ana, thread=thread).exists()
    forum_page = client.get(forum.url)
    assert "Benches on Main Street" in forum_page.content.decode()
    event = Event.objects.get(type="thread.created")
    assert event.topic == f"forum.{forum.pk}"
    assert f'id="thread-{thread.pk}"' in event.data["html"]


def test_ben_replies_ana_is_notified_and_mailed(
    client, forum, ana, ben, django_capture_on_commit_callbacks
):
    thread = start(ana, forum)
    client.force_login(ben)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("forums:reply", args=[thread.pk]),
            {"body": "Yes, near the library."},
        )
    assert response.status_code == 302
    post = Post.objects.latest("id")
    assert response["Location"].endswith(f"#post-{post.pk}")
    thread.refresh_from_db()
    assert thread.post_count == 2 and thread.reply_count == 1
    notification = Notification.objects.get(recipient=ana)
    assert notification.kind == "forums.reply"
    assert "Ben Okafor replied" in notification.text
    assert notification.url == post.get_absolute_url()
    # Ana chose immediate e-mails (the default): one mail, sent after the commit.
    assert [m.to for m in mail.outbox] == [[ana.email]]
    assert "Ben Okafor replied" in mail.outbox[0].subject
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    event = Event.objects.get(type="post.created")
    assert event.topic == f"thread.{thread.pk}"
    assert event.data["mode"] == "append"
    assert event.data["list"] == f"thread.{thread.pk}:posts"
    assert f'id="post-{post.pk}"' in event.data["html"]
    assert "Yes, near the library." in event.data["html"]
    # Ben follows the thread now, and Ana's inbox shows the line.
    assert ThreadFollow.objects.filter(user=ben, thread=thread).exists()
    client.force_login(ana)
    inbox = client.get(reverse("accounts:notifications")).content.decode()
    assert "Ben Okafor replied" in inbox


def test_reply_to_a_post_is_shown_in_reply_to_and_notifies_its_author(forum, ana, ben):
    thread = start(ana, forum)
    first = thread.posts.get()
    carol = UserFactory(display_name="Carol")
    ben_post = actions.do_reply(ben, thread, "I agree.")
    answer = actions.do_reply(carol, thread, "Why?", reply_to=ben_post)
    assert answer.reply_to == ben_post
    ben_note = Notification.objects.get(recipient=ben)
    assert "replied to your post" in ben_note.text
    # Ana follows (she started it) and hears of both replies; nobody hears twice.
    assert Notification.objects.filter(recipient=ana).count() == 2
    assert first.pk < ben_post.pk < answer.pk


def test_mention_links_to_profile_and_notifies(client, forum, ana, ben):
    thread = start(ana, forum)
    post = actions.do_reply(ana, thread, "What do you think, @Ben Okafor?")
    assert f'href="/people/{ben.pk}/"' in post.body_html
    assert 'class="mention"' in post.body_html
    note = Notification.objects.get(recipient=ben)
    assert note.kind == "forums.mention"
    assert "mentioned you" in note.text


def test_daily_digest_instead_of_immediate_mail(forum, ana, ben):
    from django.core.management import call_command

    ana.email_notifications = User.EmailNotifications.DAILY
    ana.save()
    thread = start(ana, forum)
    actions.do_reply(ben, thread, "First reply")
    actions.do_reply(ben, thread, "Second reply")
    assert mail.outbox == []
    call_command("send_notification_digests", stdout=io.StringIO())
    assert len(mail.outbox) == 1
    assert "2 notifications" in mail.outbox[0].subject
    assert mail.outbox[0].body.count("Ben Okafor replied") == 2
    call_command("send_notification_digests", stdout=io.StringIO())
    assert len(mail.outbox) == 1  # nothing new, nothing sent


def test_like_and_unlike_counts_and_notifies(client, forum, ana, ben):
    thread = start(ana, forum)
    post = thread.posts.get()
    client.force_login(ben)
    client.post(reverse("forums:like_post", args=[post.pk]), {"liked": "1"})
    client.post(reverse("forums:like_post", args=[post.pk]), {"liked": "1"})  # twice
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.like_count == 1 and thread.like_count == 1
    assert Notification.objects.filter(recipient=ana, kind="forums.like").count() == 1
    event = Event.objects.filter(type="post.liked").latest("id")
    assert event.data["counts"] == {f"post-{post.pk}:likes": 1}
    client.post(reverse("forums:like_post", args=[post.pk]), {"liked": "0"})
    post.refresh_from_db()
    assert post.like_count == 0


def test_ana_cannot_like_her_own_post(client, forum, ana):
    thread = start(ana, forum)
    post = thread.posts.get()
    with pytest.raises(DiscussionRefused, match="own post"):
        actions.do_set_post_like(ana, post, True)
    client.force_login(ana)
    response = client.post(
        reverse("forums:like_post", args=[post.pk]), {"liked": "1"}, follow=True
    )
    assert "You cannot like your own post." in response.content.decode()
    post.refresh_from_db()
    assert post.like_count == 0


def test_follow_and_unfollow(client, forum, ana, ben):
    thread = start(ana, forum)
    client.force_login(ben)
    client.post(reverse("forums:follow", args=[thread.pk]), {"follow": "1"})
    actions.do_reply(ana, thread, "Anyone?")
    assert Notification.objects.filter(recipient=ben).count() == 1
    client.post(reverse("forums:follow", args=[thread.pk]), {"follow": "0"})
    actions.do_reply(ana, thread, "Anyone at all?")
    assert Notification.objects.filter(recipient=ben).count() == 1


def test_edit_within_30_minutes_keeps_history(client, forum, ana, ben):
    thread = start(ana, forum)
    post = thread.posts.get()
    client.force_login(ana)
    response = client.post(
        reverse("forums:edit_post", args=[post.pk]), {"body": "We need many benches."}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "We need many benches." and post.edited_at is not None
    assert list(PostRevision.objects.values_list("body", flat=True)) == [
        "We need more benches."
    ]
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "edited" in page
    assert Event.objects.filter(type="post.edited").exists()
    # 31 minutes later the window is closed.
    Post.objects.filter(pk=post.pk).update(
        created_at=timezone.now() - timedelta(minutes=31)
    )
    post.refresh_from_db()
    with pytest.raises(DiscussionRefused, match="30 minutes"):
        actions.do_edit_post(ana, post, "Too late")
    # Ben may never edit Ana's post.
    with pytest.raises(DiscussionRefused, match="your own"):
        actions.do_edit_post(ben, post, "Ben was here")
    client.force_login(ben)
    response = client.post(reverse("forums:edit_post", args=[post.pk]), {"body": "x"})
    assert response.status_code == 400
    post.refresh_from_db()
    assert post.body == "We need many benches."


def test_delete_leaves_a_tombstone(client, forum, ana, ben):
    thread = start(ana, forum)
    reply = actions.do_reply(ben, thread, "A reply I regret")
    later = actions.do_reply(ana, thread, "Answering you", reply_to=reply)
    client.force_login(ana)
    client.post(reverse("forums:delete_post", args=[reply.pk]))  # not hers
    reply.refresh_from_db()
    assert reply.deleted_at is None
    client.force_login(ben)
    client.post(reverse("forums:delete_post", args=[reply.pk]))
    reply.refresh_from_db()
    assert reply.deleted_at is not None and reply.body == "" and reply.body_html == ""
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "This post was deleted by its author." in page
    assert "A reply I regret" not in page
    assert f'href="/discussions/posts/{reply.pk}/"' in page  # Ana's "in reply to" link
    assert later.reply_to_id == reply.pk
    event = Event.objects.get(type="post.deleted")
    assert event.data["dom_id"] == f"post-{reply.pk}"


def test_locked_thread_refuses_posts_with_the_reason(
    client, forum, ana, ben, moderator
):
    thread = start(ana, forum)
    with pytest.raises(DiscussionRefused, match="Only moderators"):
        actions.do_lock_thread(ana, thread, True, "I say so")
    client.force_login(moderator)
    client.post(
        reverse("forums:moderate", args=[thread.pk]),
        {"action": "lock", "reason": "The decision has been made."},
    )
    client.post(reverse("forums:moderate", args=[thread.pk]), {"action": "pin"})
    thread.refresh_from_db()
    assert thread.locked and thread.pinned
    client.force_login(ben)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "This thread is locked: The decision has been made." in page
    response = client.post(
        reverse("forums:reply", args=[thread.pk]), {"body": "But wait"}
    )
    assert response.status_code == 400
    assert "The decision has been made." in response.content.decode()
    assert thread.posts.count() == 1


@pytest.mark.rate_limited
def test_rate_limit_says_when_to_try_again(client, forum, ana, ben):
    thread = start(ana, forum)
    client.force_login(ben)
    client.post(reverse("forums:reply", args=[thread.pk]), {"body": "One"})
    response = client.post(reverse("forums:reply", args=[thread.pk]), {"body": "Two"})
    # The posting interval is one of accounts.limits' named limits: a 429.
    assert response.status_code == 429
    # Ben's account is new (under a day old): one post per 30 seconds.
    assert 1 <= int(response["Retry-After"]) <= 30
    text = response.content.decode()
    assert "Posting was refused" in text
    assert "Two</textarea>" in text or 'value="Two"' in text  # what he typed is kept
    assert thread.posts.count() == 2
    # An established resident waits at most 5 seconds.
    old = UserFactory()
    User.objects.filter(pk=old.pk).update(
        date_joined=timezone.now() - timedelta(days=3)
    )
    old.refresh_from_db()
    actions.do_reply(old, thread, "First")
    with pytest.raises(RateLimited) as refused:
        actions.do_reply(old, thread, "Second")
    assert refused.value.scope == "post_interval" and refused.value.retry_after <= 5


def test_identical_text_twice_is_refused(forum, ana, ben):
    thread = start(ana, forum)
    actions.do_reply(ben, thread, "Same words")
    with pytest.raises(DiscussionRefused, match="same text"):
        actions.do_reply(ben, thread, "Same words")
    # Someone else may say the same.
    actions.do_reply(ana, thread, "Same words")


def test_limits_on_title_and_body(client, forum, ana):
    client.force_login(ana)
    response = client.post(
        reverse("forums:new_thread", args=[forum.pk]),
        {"title": "t" * 151, "body": "b" * 10_001},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "at most 150 characters" in text
    assert "at most 10000 characters" in text
    with pytest.raises(DiscussionRefused, match="limit is 150"):
        actions.do_start_thread(ana, forum, "t" * 151, "body")
    with pytest.raises(DiscussionRefused, match="limit is 10000"):
        actions.do_start_thread(ana, forum, "title", "b" * 10_001)
    with pytest.raises(DiscussionRefused, match="Write something"):
        actions.do_start_thread(ana, forum, "title", "   ")
    assert not Thread.objects.exists()


def test_permission_refusals(client, forum, ana, ben):
    thread = start(ana, forum)
    post = thread.posts.get()
    # Anonymous visitors read but cannot write.
    assert client.get(thread.get_absolute_url()).status_code == 200
    for url, data in [
        (reverse("forums:reply", args=[thread.pk]), {"body": "hi"}),
        (reverse("forums:new_thread", args=[forum.pk]), {"title": "x", "body": "y"}),
        (reverse("forums:like_post", args=[post.pk]), {"liked": "1"}),
        (reverse("forums:delete_post", args=[post.pk]), {}),
        (reverse("forums:moderate", args=[thread.pk]), {"action": "pin"}),
    ]:
        response = client.post(url, data)
        assert (
            response.status_code == 302 and "/accounts/login/" in response["Location"]
        )
    assert Thread.objects.count() == 1 and Post.objects.count() == 1
    with pytest.raises(DiscussionRefused, match="Log in"):
        actions.do_reply(None, thread, "hi")
    # A resident cannot pin.
    client.force_login(ben)
    client.post(reverse("forums:moderate", args=[thread.pk]), {"action": "pin"})
    thread.refresh_from_db()
    assert not thread.pinned
    # A staff-only forum refuses residents' threads.
    notices = make_forum("City notices", who_may_start_threads=ForumPage.Starters.STAFF)
    with pytest.raises(DiscussionRefused, match="only city staff"):
        actions.do_start_thread(ben, notices, "Hi", "there")
    # An unpublished forum is not there.
    forum.unpublish()
    assert client.get(thread.get_absolute_url()).status_code == 404
    with pytest.raises(DiscussionRefused):
        actions.do_reply(ben, thread, "hello?")


def test_premoderated_forum_shows_pending_posts_only_to_their_author(
    client, ana, ben, moderator
):
    forum = make_forum("Careful corner", premoderated=True)
    thread = start(ana, forum, "Pending thread", "Wait for it")
    assert thread.visibility == Visibility.PENDING
    assert not Event.objects.filter(type="thread.created").exists()
    client.force_login(ana)
    own = client.get(thread.get_absolute_url()).content.decode()
    assert "Waiting for review" in own
    forum_page = client.get(forum.url).content.decode()
    assert "Pending thread" in forum_page
    client.force_login(ben)
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert "Pending thread" not in client.get(forum.url).content.decode()
    client.logout()
    assert client.get(thread.get_absolute_url()).status_code == 404
    # Once published, Ben's reply waits in turn; only Ben sees it.
    Thread.objects.filter(pk=thread.pk).update(visibility=Visibility.PUBLISHED)
    thread.refresh_from_db()
    reply = actions.do_reply(ben, thread, "My pending reply")
    assert reply.visibility == Visibility.PENDING
    assert not Notification.objects.filter(recipient=ana).exists()
    client.force_login(ana)
    assert (
        "My pending reply" not in client.get(thread.get_absolute_url()).content.decode()
    )
    client.force_login(ben)
    mine = client.get(thread.get_absolute_url()).content.decode()
    assert "My pending reply" in mine and "Waiting for review" in mine


def test_unread_markers(client, forum, ana, ben):
    thread = start(ana, forum)
    client.force_login(ben)
    client.get(thread.get_absolute_url())
    state = ReadState.objects.get(user=ben, thread=thread)
    assert state.last_read_post_id == thread.posts.get().pk
    first_new = actions.do_reply(ana, thread, "News one")
    actions.do_reply(ana, thread, "News two")
    forum_page = client.get(forum.url).content.decode()
    assert "2 new" in forum_page
    index_page = client.get(forum.get_parent().url).content.decode()
    assert "1 with new posts" in index_page
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "New since your last visit" in page
    assert f'href="#post-{first_new.pk}"' in page
    # Reading moved the marker: nothing new any more.
    assert "2 new" not in client.get(forum.url).content.decode()


def test_sorting_pinned_first_top_and_unanswered(client, forum, ana, ben, moderator):
    quiet = start(ana, forum, "Quiet one", "Nobody answers")
    busy = start(ana, forum, "Busy one", "Everyone answers")
    actions.do_reply(ben, busy, "Answer")
    actions.do_set_post_like(ben, busy.posts.first(), True)
    pinned = start(ana, forum, "Read me first", "Rules")
    actions.do_pin_thread(moderator, pinned, True)
    actions.do_reply(ben, quiet, "Late answer to quiet")  # quiet is now latest
    latest = client.get(forum.url).content.decode()
    assert (
        latest.index("Read me first")
        < latest.index("Quiet one")
        < latest.index("Busy one")
    )
    top = client.get(forum.url + "?sort=top").content.decode()
    assert top.index("Busy one") < top.index("Quiet one")
    unanswered = client.get(forum.url + "?sort=unanswered").content.decode()
    assert "Read me first" in unanswered and "Busy one" not in unanswered


def test_post_link_goes_to_the_right_page(client, forum, ana, ben):
    thread = start(ana, forum)
    posts = [
        actions.do_reply(ben if i % 2 else ana, thread, f"Reply {i}") for i in range(35)
    ]
    response = client.get(reverse("forums:post", args=[posts[-1].pk]))
    assert (
        response["Location"]
        == f"/discussions/threads/{thread.pk}/?page=2#post-{posts[-1].pk}"
    )


def test_search_finds_threads_and_posts(client, forum, ana, ben):
    thread = start(ana, forum, "Cycling lanes downtown", "Paint is not protection.")
    actions.do_reply(ben, thread, "Bollards would help greatly")
    other = start(ana, forum, "Library hours", "Open on Sundays please")
    response = client.get(reverse("forums:search"), {"q": "bollards"})
    text = response.content.decode()
    assert "Cycling lanes downtown" in text and "Library hours" not in text
    text = client.get(reverse("forums:search"), {"q": "library"}).content.decode()
    # The match is highlighted, the rest escaped as text.
    assert "<mark>Library</mark> hours" in text
    assert other.get_absolute_url() in text


def test_personal_data_export_includes_posts(forum, ana):
    from accounts.actions import export_personal_data

    start(ana, forum)
    data = export_personal_data(ana)
    assert data["forums"]["threads"][0]["title"] == "Benches on Main Street"
    assert data["forums"]["posts"][0]["text"] == "We need more benches."


def test_deleted_account_shows_former_resident(client, forum, ana, password):
    thread = start(ana, forum)
    from accounts.actions import do_delete_account

    do_delete_account(ana, ana, password)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "former resident" in page
    assert "We need more benches." in page
