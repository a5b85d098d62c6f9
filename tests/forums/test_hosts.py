"""Another app hosts a thread (as ideas will): its rules decide who reads and posts."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Notification
from forums import actions, hosts
from forums.actions import DiscussionRefused
from forums.models import Thread
from live.topics import can_read
from moderation.models import Visibility
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLOSED = set()
SECRET = set()


@pytest.fixture(autouse=True)
def proposal_host():
    owner = UserFactory(display_name="Proposal owner")
    hosts.register_thread_host(
        "proposal",
        can_read=lambda user, host_id: host_id not in SECRET,
        can_post=lambda user, host_id: (
            "The campaign is closed for comments." if host_id in CLOSED else None
        ),
        url=lambda host_id: f"/proposals/{host_id}/",
        premoderated=lambda host_id: host_id == 99,
        recipients=lambda host_id: [owner],
        label="proposal",
    )
    CLOSED.clear()
    SECRET.clear()
    yield owner
    hosts._hosts.pop("proposal", None)


def test_hosted_thread_is_made_once_and_lives_on_its_host_page(client, ana, ben):
    thread = actions.do_create_hosted_thread("proposal", 7, "A park on 5th")
    assert actions.do_create_hosted_thread("proposal", 7, "again") == thread
    assert Thread.objects.count() == 1
    assert thread.get_absolute_url() == "/proposals/7/"
    response = client.get(reverse("forums:thread", args=[thread.pk]))
    assert response.status_code == 302 and response["Location"] == "/proposals/7/"


def test_residents_comment_through_forums_urls_and_return_to_the_host(
    client, ana, ben, proposal_host
):
    thread = actions.do_create_hosted_thread("proposal", 7, "A park on 5th")
    client.force_login(ana)
    response = client.post(
        reverse("forums:reply", args=[thread.pk]), {"body": "Lovely idea"}
    )
    post = thread.posts.get()
    assert response["Location"] == f"/proposals/7/#post-{post.pk}"
    thread.refresh_from_db()
    assert thread.post_count == 1 and thread.reply_count == 1
    # The host's people (the proposal's owner) hear of every new post.
    assert Notification.objects.filter(recipient=proposal_host).count() == 1
    # The host page embeds the include with discussion_context.
    request = RequestFactory().get("/proposals/7/")
    request.user = ben
    context = hosts.discussion_context(request, thread)
    html = render_to_string("forums/includes/discussion.html", context, request=request)
    assert "Lovely idea" in html
    assert f'data-live-list="thread.{thread.pk}:posts"' in html
    assert f'action="/discussions/threads/{thread.pk}/reply/"' in html


def test_host_rules_refuse_posts_and_reading(client, ana):
    thread = actions.do_create_hosted_thread("proposal", 8, "Closed one")
    CLOSED.add(8)
    with pytest.raises(DiscussionRefused, match="closed for comments"):
        actions.do_reply(ana, thread, "Too late?")
    client.force_login(ana)
    response = client.post(reverse("forums:reply", args=[thread.pk]), {"body": "x"})
    assert response.status_code == 400
    assert "closed for comments" in response.content.decode()
    assert can_read(ana, f"thread.{thread.pk}")
    SECRET.add(8)
    assert not can_read(ana, f"thread.{thread.pk}")
    assert client.get(reverse("forums:thread", args=[thread.pk])).status_code == 404


def test_host_premoderation(ana):
    thread = actions.do_create_hosted_thread("proposal", 99, "Careful")
    post = actions.do_reply(ana, thread, "Waits")
    assert post.visibility == Visibility.PENDING


def test_unregistered_host_kind_fails_loudly():
    with pytest.raises(LookupError):
        actions.do_create_hosted_thread("nothing", 1, "x")


def test_thread_is_in_a_forum_or_hosted_never_both(forum):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(forum=forum, host_kind="proposal", host_id=1, title="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Thread.objects.create(title="nowhere")
