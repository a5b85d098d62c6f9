"""Arguments for and against: two residents argue, points are forums posts
(likes, moderation, rate limits, live), the best points come first and the idea's
card counts each side."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.limits import RateLimited
from forums.actions import do_set_post_like
from forums.models import Post, Thread
from ideas import actions
from ideas.models import Idea
from live.models import Event
from moderation.actions import do_decide
from tests.factories import ModeratorFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db

NO_RATE_LIMITS = {
    "interval_seconds": 0,
    "new_account_interval_seconds": 0,
    "new_account_hours": 24,
}


@pytest.fixture
def idea(campaign):
    return actions.do_propose_idea(
        UserFactory(), campaign, title="Close Elm Street to cars", description="Why."
    )


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_RATE_LIMITS)
def test_two_residents_argue_and_the_best_points_come_first(client, idea):
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    weak = actions.do_add_point(ana, idea, "for", "Quieter for the school.")
    strong = actions.do_add_point(ana, idea, "for", "Cleaner air on the street.")
    against = actions.do_add_point(ben, idea, "against", "Deliveries get harder.")
    do_set_post_like(ben, strong, True)
    do_set_post_like(cleo, strong, True)
    idea.refresh_from_db()
    assert (idea.points_for_count, idea.points_against_count) == (2, 1)
    # One discussion engine: the points are posts in the idea's hosted threads.
    assert strong.thread.host_kind == "idea_for" and strong.thread.host_id == idea.pk
    assert against.thread.host_kind == "idea_against"
    client.force_login(cleo)
    page = client.get(idea.get_absolute_url()).content.decode()
    assert page.index("Cleaner air") < page.index("Quieter for the school")
    assert f'data-live-count="thread.{strong.thread_id}:post-{strong.pk}:likes">2<' in (
        page
    )
    assert weak.pk and "Deliveries get harder." in page
    card = client.get(idea.campaign.url).content.decode()
    assert "For <b>2</b> · Against <b>1</b>" in card


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_RATE_LIMITS)
def test_a_point_is_published_live_to_the_side_it_belongs(idea):
    point = actions.do_add_point(UserFactory(), idea, "against", "Too noisy at night.")
    event = Event.objects.get(topic=f"thread.{point.thread_id}", type="post.created")
    assert event.data["list"] == f"thread.{point.thread_id}:posts"
    assert event.data["counts"]["posts"] == 1
    assert "Too noisy at night." in event.data["html"]


def test_points_are_short_sided_and_rate_limited(idea):
    ana = UserFactory()
    with pytest.raises(actions.IdeaError, match="at most 300"):
        actions.do_add_point(ana, idea, "for", "x" * 301)
    with pytest.raises(actions.IdeaError, match="for or against"):
        actions.do_add_point(ana, idea, "sideways", "A fine point.")
    cache.clear()
    actions.do_add_point(ana, idea, "for", "A first good point.")
    # The forums posting interval applies to points like any post (429 over HTTP).
    with pytest.raises(RateLimited):
        actions.do_add_point(ana, idea, "against", "And at once another one.")
    assert Post.objects.filter(author=ana).count() == 1


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_RATE_LIMITS)
def test_moderation_holds_and_hides_points_and_the_counts_follow(idea):
    premod = make_campaign(premoderated=True)
    held_idea = Idea.objects.create(
        campaign=premod, title="A held idea", description="x", author=UserFactory()
    )
    actions.point_threads(held_idea)
    held = actions.do_add_point(UserFactory(), held_idea, "for", "Wait for me.")
    assert not held.is_published
    held_idea.refresh_from_db()
    assert held_idea.points_for_count == 0
    point = actions.do_add_point(UserFactory(), idea, "for", "Rude but counted.")
    idea.refresh_from_db()
    assert idea.points_for_count == 1
    do_decide(ModeratorFactory(), point, "hide", "Not kind.")
    idea.refresh_from_db()
    assert idea.points_for_count == 0


def test_points_over_http(client, idea):
    ana = UserFactory()
    url = f"/ideas/{idea.pk}/point/"
    assert client.post(url, {"side": "for", "body": "Yes"}).status_code == 302
    assert not Post.objects.exists()
    client.force_login(ana)
    response = client.post(url, {"side": "for", "body": "Shade for the children."})
    post = Post.objects.get()
    assert response["Location"] == f"{idea.get_absolute_url()}#post-{post.pk}"
    bad = client.post(url, {"side": "up", "body": "Hm"}, follow=True)
    assert "for or against" in bad.content.decode()
    assert Thread.objects.filter(host_id=idea.pk).count() == 3
