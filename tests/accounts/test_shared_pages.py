"""Pages signed-in residents share (accounts/sharedpages.py): a plain resident is
served one copy rendered for a stand-in with their own header, id and CSRF token
filled in; whoever has anything of their own on the page gets the page made for
them alone; and what is served is exactly what they would have got without the
copy."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.roles import Role
from accounts.sharedpages import HEADER, copy_key, mark
from forums.actions import (
    do_follow_thread,
    do_mark_thread_read,
    do_reply,
    do_set_post_like,
    do_start_thread,
)
from forums.models import Post, ReadState
from ideas import actions
from ideas.models import Idea
from moderation.models import Visibility
from tests.factories import (
    NO_FORUM_RATE_LIMITS,
    SanctionFactory,
    UserFactory,
    make_campaign,
    make_forum,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_posting():
    with override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS):
        yield


@pytest.fixture
def ana(db):
    return UserFactory(display_name="Ana Lima")


@pytest.fixture
def ben(db):
    return UserFactory(display_name="Ben Okafor")


@pytest.fixture
def cleo(db):
    return UserFactory(display_name="Cleo Park")


@pytest.fixture
def world(ana):
    """A campaign with an idea and its comments, a forum with a thread."""
    campaign = make_campaign(categories=["Parks"])
    idea = actions.do_propose_idea(
        ana, campaign, title="A library boat", description="Books on the river."
    )
    comments = [
        do_reply(ana, idea.thread, f"Comment {i} on the boat.") for i in range(3)
    ]
    forum = make_forum("Town square")
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    posts = [do_reply(ana, thread, f"Reply {i} about buses.") for i in range(3)]
    return {
        "campaign": campaign,
        "idea": idea,
        "comments": comments,
        "forum": forum,
        "thread": thread,
        "posts": posts,
        "pages": {
            "idea": f"/ideas/{idea.pk}/",
            "thread": thread.get_absolute_url(),
            "forum": forum.url,
            "campaign": campaign.url + "?sort=new",
            "home": "/",
        },
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def same_page(html: str) -> str:
    """The page with its CSRF tokens (masked anew on every page) made alike."""
    return TOKEN.sub(r"\1T\2", html)


def own_render(user, url: str) -> str:
    """The page made for `user` alone, with no shared copy."""
    with override_settings(AGORA_SHARED_PAGES=False):
        response = signed_in(user).get(url)
    assert response.status_code == 200
    assert response.get(HEADER) is None
    return response.content.decode()


def primed(url: str) -> None:
    """Another plain resident loads the page, so a copy exists."""
    response = signed_in(UserFactory(display_name="Primer")).get(url)
    assert response.status_code == 200
    assert response.get(HEADER) in ("hit", "miss")


# --- plain residents share one copy --------------------------------------------


@pytest.mark.parametrize("page", ["idea", "thread", "forum", "campaign", "home"])
def test_plain_residents_share_one_copy_with_their_own_header(world, ben, cleo, page):
    url = world["pages"][page]
    first = signed_in(ben).get(url)
    assert first.get(HEADER) == "miss"
    client = signed_in(cleo)
    response = client.get(url)
    assert response.get(HEADER) == "hit"
    html = response.content.decode()
    # Cleo's name, id and token; nothing of Ben's, no marker left.
    assert "Cleo Park" in html and "Ben Okafor" not in html
    assert f'data-viewer-id="{cleo.pk}"' in html
    assert f"user.{cleo.pk}:unread" in html
    assert mark("") not in html
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1
    # What she gets is what her own page would be.
    assert same_page(html) == same_page(own_render(cleo, url))


def test_a_token_from_a_shared_page_works_for_its_reader(world, cleo):
    url = world["pages"]["thread"]
    primed(url)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cleo)
    html = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    post = world["posts"][0]
    response = client.post(
        f"/discussions/posts/{post.pk}/like/",
        {"csrfmiddlewaretoken": token, "next": url},
    )
    assert response.status_code == 302
    assert post.likes.filter(user=cleo).exists()


def test_the_copy_holds_nothing_of_the_reader_who_made_it(world, ben):
    url = world["pages"]["idea"]
    client = signed_in(ben)
    html = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    entry = cache.get(copy_key(f"http://testserver{url}", "en"))
    assert entry is not None, "no shared copy was kept"
    content = entry[3]
    assert "Ben Okafor" not in content
    assert ben.email not in content
    assert token not in content
    assert f'data-viewer-id="{ben.pk}"' not in content
    assert 'data-viewer-id="0"' not in content


def test_each_language_has_its_own_copy(world, ben, cleo):
    url = world["pages"]["thread"]
    spanish, russian = signed_in(ben), signed_in(cleo)
    spanish.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    russian.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert spanish.get(url).get(HEADER) == "miss"
    response = russian.get(url)
    assert response.get(HEADER) == "miss"
    assert '<html lang="ru">' in response.content.decode()
    again = spanish.get(url)
    assert again.get(HEADER) == "hit"
    assert '<html lang="es">' in again.content.decode()


def test_a_hit_costs_a_fixed_handful_of_queries(
    world, cleo, django_assert_max_num_queries
):
    for url in world["pages"].values():
        primed(url)
        client = signed_in(cleo)
        client.get(url)  # her first visit to a thread writes her read marker
        with django_assert_max_num_queries(6):
            response = client.get(url)
        assert response.get(HEADER) == "hit"


# --- whoever has something of their own gets their own page --------------------


def _own_page_served(user, url: str, read_upto: tuple | None = None) -> str:
    """`user` gets the page made for them; `read_upto` (thread, post id): their
    read marker, put back before the page without the copy is made to compare."""
    primed(url)
    response = signed_in(user).get(url)
    assert response.status_code == 200
    assert response.get(HEADER) is None, "served a shared copy"
    html = response.content.decode()
    if read_upto is not None:
        thread, upto = read_upto
        ReadState.objects.filter(user=user, thread=thread).update(
            last_read_post_id=upto
        )
    assert same_page(html) == same_page(own_render(user, url))
    return html


def test_the_ideas_author_supporter_and_follower_get_their_own(world, ana, ben, cleo):
    url = world["pages"]["idea"]
    # Her own idea and comments: no Flag link on them.
    flag = 'class="flag link-button"'
    own = _own_page_served(ana, url)
    shared = signed_in(UserFactory()).get(url).content.decode()
    assert own.count(flag) < shared.count(flag)
    actions.do_support_idea(ben, world["idea"])
    assert "Withdraw my support" in _own_page_served(ben, url)
    actions.do_follow_idea(cleo, world["idea"])
    assert "Stop following" in _own_page_served(cleo, url)


def test_likers_writers_and_partial_readers_get_their_own(world, ben, cleo):
    url = world["pages"]["thread"]
    do_set_post_like(ben, world["posts"][1], True)
    assert "Unlike" in _own_page_served(ben, url)
    do_reply(cleo, world["thread"], "Me too, for the late shift.")
    _own_page_served(cleo, url)
    dan = UserFactory(display_name="Dan Reader")
    first = world["posts"][0].pk
    do_mark_thread_read(dan, world["thread"], first)
    html = _own_page_served(dan, url, read_upto=(world["thread"], first))
    assert "New since your last visit" in html
    eve = UserFactory(display_name="Eve Follower")
    do_follow_thread(eve, world["thread"])
    assert "Unfollow" in _own_page_served(eve, url)


def test_idea_comments_liked_or_read_in_part_make_the_page_theirs(world, ben, cleo):
    url = world["pages"]["idea"]
    do_set_post_like(ben, world["comments"][0], True)
    _own_page_served(ben, url)
    first = world["comments"][0].pk
    do_mark_thread_read(cleo, world["idea"].thread, first)
    html = _own_page_served(cleo, url, read_upto=(world["idea"].thread, first))
    assert "New since your last visit" in html


def test_the_front_page_fills_in_each_readers_threads_with_new_posts(world, ana, cleo):
    thread = world["thread"]
    signed_in(cleo).get(thread.get_absolute_url())  # read to the end
    do_reply(ana, thread, "One more thing about the buses.")
    primed("/")
    response = signed_in(cleo).get("/")
    assert response.get(HEADER) == "hit"
    html = response.content.decode()
    assert "1 with new posts" in html
    assert same_page(html) == same_page(own_render(cleo, "/"))
    plain = signed_in(UserFactory()).get("/")
    assert plain.get(HEADER) == "hit"
    assert "with new posts" not in plain.content.decode()
    assert mark("") not in plain.content.decode()


def test_a_page_the_stand_in_may_not_read_is_its_readers_own(world, ben):
    waiting = do_start_thread(ben, world["forum"], "My draft", "Still writing it.")
    waiting.visibility = Visibility.PENDING
    waiting.save(update_fields=["visibility"])
    url = waiting.get_absolute_url()
    for _ in range(2):
        response = signed_in(ben).get(url)
        assert response.status_code == 200
        assert response.get(HEADER) is None
        assert "My draft" in response.content.decode()
    assert signed_in(UserFactory()).get(url).status_code == 404


def test_a_suspended_resident_is_told_so_not_offered_forms(world, ben):
    SanctionFactory(user=ben)
    html = _own_page_served(ben, world["pages"]["thread"])
    assert 'class="reply__refusal"' in html


def test_own_waiting_ideas_and_threads_show_only_to_their_author(world, ben, cleo):
    waiting = actions.do_propose_idea(
        ben, world["campaign"], title="A quiet park", description="Benches and trees."
    )
    Idea.objects.filter(pk=waiting.pk).update(visibility=Visibility.PENDING)
    assert "A quiet park" in _own_page_served(ben, world["pages"]["campaign"])
    hidden = do_start_thread(ben, world["forum"], "My draft", "Still writing it.")
    hidden.visibility = Visibility.PENDING
    hidden.save(update_fields=["visibility"])
    assert "My draft" in _own_page_served(ben, world["pages"]["forum"])
    shared = signed_in(cleo).get(world["pages"]["forum"]).content.decode()
    assert "My draft" not in shared


def test_staff_get_their_own_page_with_their_controls(world):
    moderator = UserFactory(display_name="Mo Derator", roles=[Role.MODERATOR])
    html = _own_page_served(moderator, world["pages"]["thread"])
    assert "Lock" in html and "Staff" in html
    primed(world["pages"]["thread"])
    plain = signed_in(UserFactory()).get(world["pages"]["thread"]).content.decode()
    assert "Reason for locking" not in plain


def test_a_message_waiting_is_shown_on_the_readers_own_page(world, ben):
    url = world["pages"]["thread"]
    primed(url)
    client = signed_in(ben)
    # Unfollowing a thread she does not follow: a message, nothing else of hers.
    response = client.post(
        f"/discussions/threads/{world['thread'].pk}/follow/", {"follow": "0"}
    )
    assert response.status_code == 302
    page = client.get(url)
    assert page.get(HEADER) is None
    assert "You no longer follow this thread." in page.content.decode()
    assert client.get(url).get(HEADER) == "hit"


# --- what a page view does for its reader ----------------------------------------


def test_reading_from_the_copy_marks_the_thread_read(world, cleo):
    url = world["pages"]["thread"]
    primed(url)
    response = signed_in(cleo).get(url)
    assert response.get(HEADER) == "hit"
    state = ReadState.objects.get(user=cleo, thread=world["thread"])
    assert state.last_read_post_id == max(p.pk for p in world["thread"].posts.all())


def test_a_new_post_shows_on_the_next_shared_page(world, ana, cleo):
    url = world["pages"]["thread"]
    primed(url)
    client = signed_in(cleo)
    assert client.get(url).get(HEADER) == "hit"
    do_reply(ana, world["thread"], "The buses start next month!")
    response = signed_in(UserFactory()).get(url)
    assert response.get(HEADER) == "miss"
    assert "The buses start next month!" in response.content.decode()
    assert Post.objects.filter(thread=world["thread"]).count() == 5


def test_the_random_order_of_the_day_stays_each_residents_own(world, cleo):
    url = world["campaign"].url
    signed_in(UserFactory()).get(url)
    response = signed_in(cleo).get(url)
    assert response.status_code == 200
    assert response.get(HEADER) is None
