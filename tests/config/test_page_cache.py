"""The anonymous page cache (config/pagecache.py): visitors get no session and no
cookie, every change shows on the very next anonymous request, and nothing one
person may see is ever served to another."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from accounts.roles import Role
from config.pagecache import HIT_HEADER, AnonymousPageCacheMiddleware
from forums.actions import do_reply, do_start_thread
from ideas import actions
from moderation.actions import do_decide
from tests.factories import NO_FORUM_RATE_LIMITS, UserFactory, make_campaign, make_forum

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_posting():
    # These stories post several times a second; the posting interval would refuse.
    with override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS):
        yield


@pytest.fixture
def ana(db):
    return UserFactory(display_name="Ana Lima")


@pytest.fixture
def ben(db):
    return UserFactory(display_name="Ben Okafor")


@pytest.fixture
def campaign(db):
    return make_campaign(categories=["Parks", "Transport"])


@pytest.fixture
def idea(campaign, ana):
    return actions.do_propose_idea(
        ana, campaign, title="A library boat", description="Books on the river."
    )


def cached_twice(client: Client, url: str, **headers: str) -> str:
    """Load a page twice; the second answer must come from the cache (so the
    stories below prove invalidation, not a cache that never held the page)."""
    client.get(url, **headers)
    response = client.get(url, **headers)
    assert response.status_code == 200
    assert response.get(HIT_HEADER) == "hit", f"{url} was not served from the cache"
    return response.content.decode()


def anonymous(url: str, **headers: str) -> str:
    response = Client().get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


# --- no session, no cookie ----------------------------------------------------


def test_anonymous_pages_set_no_cookie_and_write_no_session(campaign, idea, ana):
    forum = make_forum("Town square")
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    do_reply(ana, idea.thread, "I would borrow books there.")
    pages = [
        "/",
        campaign.url,
        campaign.url + "?sort=new",
        campaign.url + "?sort=supported",
        campaign.url + "?category=parks",
        campaign.url + "?sort=new&page=2",
        campaign.url + "?q=library",
        idea.get_absolute_url(),
        forum.url,
        thread.get_absolute_url(),
    ]
    client = Client()
    for url in pages:
        for _ in range(2):  # the page as rendered, then as served from the cache
            response = client.get(url)
            assert response.status_code == 200, url
            assert not response.cookies, (url, list(response.cookies))
            assert "Set-Cookie" not in response.headers, url
    assert not client.cookies
    assert Session.objects.count() == 0


def test_random_order_is_kept_across_pages_without_a_session(campaign, ana):
    from tests.ideas.test_pages import many_ideas, titles

    many_ideas(campaign, 45)
    first = Client().get(campaign.url).content.decode()
    again = Client().get(campaign.url).content.decode()
    # Two visitors without cookies get the day's order, and page 2 continues it.
    assert titles(first) == titles(again)
    page_two = re.search(r'href="(\?[^"]*page=2[^"]*)"', first).group(1)
    assert "seed=" in page_two
    second = Client().get(campaign.url + page_two.replace("&amp;", "&")).content
    assert not set(titles(first)) & set(titles(second.decode()))
    assert Session.objects.count() == 0


def test_the_language_switcher_works_without_a_session_or_csrf(client):
    from home.demo import seed_home

    seed_home()
    response = client.get("/i18n/language/", {"language": "es", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["django_language"].value == "es"
    assert '<html lang="es">' in client.get("/").content.decode()
    # An address elsewhere is not followed, and an unknown language changes nothing.
    response = client.get(
        "/i18n/language/", {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/" and "django_language" not in response.cookies


# --- every change shows on the very next anonymous request ----------------------


def test_a_new_idea_shows_at_once(client, campaign, ana, ben):
    url = campaign.url + "?sort=new"
    assert "Night market" not in cached_twice(client, url)
    actions.do_propose_idea(
        ben, campaign, title="Night market", description="Food stalls on Fridays."
    )
    assert "Night market" in anonymous(url)


def test_a_comment_shows_at_once(client, idea, ben):
    url = idea.get_absolute_url()
    assert "I would borrow books there" not in cached_twice(client, url)
    do_reply(ben, idea.thread, "I would borrow books there.")
    assert "I would borrow books there" in anonymous(url)


def test_a_support_shows_at_once(client, campaign, idea, ben):
    url = idea.get_absolute_url()
    marker = f'data-live-count="idea.{idea.pk}:supports">'
    before = cached_twice(client, url)
    assert marker + "0<" in before
    actions.do_support_idea(ben, idea)
    assert marker + "1<" in anonymous(url)
    card = f'data-live-count="campaign.{campaign.pk}:supports.{idea.pk}">1<'
    assert card in anonymous(campaign.url + "?sort=new")


def test_an_edit_shows_at_once(client, campaign, idea, ana):
    url = idea.get_absolute_url()
    assert "A floating library" not in cached_twice(client, url)
    cached_twice(client, campaign.url + "?sort=new")
    actions.do_edit_idea(
        ana, idea, title="A floating library", description="Books on the river."
    )
    assert "A floating library" in anonymous(url)
    assert "A floating library" in anonymous(campaign.url + "?sort=new")


def test_a_hidden_comment_vanishes_at_once(client, idea, ben):
    moderator = UserFactory(roles=[Role.MODERATOR])
    post = do_reply(ben, idea.thread, "Call me on 0470 12 34 56.")
    url = idea.get_absolute_url()
    assert "0470 12 34 56" in cached_twice(client, url)
    do_decide(moderator, post, "hide", reason="Personal data in the comment.")
    assert "0470 12 34 56" not in anonymous(url)


def test_an_official_answer_shows_at_once(client, idea):
    planner = UserFactory(roles=[Role.PLANNER])
    url = idea.get_absolute_url()
    assert "The library service will try it" not in cached_twice(client, url)
    actions.do_change_status(
        planner, idea, "accepted", "The library service will try it this summer."
    )
    assert "The library service will try it" in anonymous(url)


def test_a_phase_change_published_by_an_editor_shows_at_once(client, campaign):
    url = campaign.url
    assert "Supporting and discussing" not in cached_twice(client, url)
    phase = campaign.phases.get()
    phase.kind = "supporting"
    campaign.phases = [phase]
    campaign.save_revision().publish()
    assert "Supporting and discussing" in anonymous(url)


# --- nothing private is served to another --------------------------------------


def test_a_residents_page_is_never_served_to_a_visitor_nor_the_reverse(
    client, idea, ben
):
    url = idea.get_absolute_url()
    visitor = cached_twice(Client(), url)
    assert "Ben Okafor" not in visitor
    client.force_login(ben)
    own = client.get(url)
    assert own.get(HIT_HEADER) is None
    assert "Ben Okafor" in own.content.decode()
    assert "csrfmiddlewaretoken" in own.content.decode()
    again = client.get(url)
    assert again.get(HIT_HEADER) is None
    # The resident's visit stored nothing a visitor could be given.
    after = Client().get(url)
    assert "Ben Okafor" not in after.content.decode()
    assert "csrfmiddlewaretoken" not in after.content.decode()


def test_each_language_gets_its_own_copy(idea):
    url = idea.get_absolute_url()
    english = cached_twice(Client(), url, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in english
    spanish = Client().get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in spanish
    russian = Client()
    russian.cookies["django_language"] = "ru"
    assert '<html lang="ru">' in russian.get(url).content.decode()
    assert '<html lang="en">' in anonymous(url, HTTP_ACCEPT_LANGUAGE="en")


def test_a_page_with_a_visitors_csrf_token_is_not_kept(client):
    """A page that puts a CSRF token in a form carries the visitor's secret; it is
    rendered for each visitor, never stored."""
    from django.http import HttpResponse
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    def form_page(request):
        return HttpResponse(
            f'<form><input name="csrfmiddlewaretoken" value="{get_token(request)}">',
            content_type="text/html",
        )

    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/a-form/")
    request.user = AnonymousUser()
    request.LANGUAGE_CODE = "en"
    middleware = AnonymousPageCacheMiddleware(form_page)
    key = middleware.key_for(request)
    response = form_page(request)
    assert not middleware.storable(request, response, key)


def test_staff_controls_are_never_served_to_visitors(client, campaign, idea):
    planner = UserFactory(roles=[Role.PLANNER], display_name="Pia Planner")
    client.force_login(planner)
    staff_page = client.get(idea.get_absolute_url()).content.decode()
    assert "Pia Planner" in staff_page
    assert f"/ideas/{idea.pk}/answer/" in staff_page  # the answer form
    visitor = anonymous(idea.get_absolute_url())
    assert f"/ideas/{idea.pk}/answer/" not in visitor
    assert "Pia Planner" not in visitor
    # And the visitor's cached copy is not what the planner gets next.
    cached_twice(Client(), idea.get_absolute_url())
    again = client.get(idea.get_absolute_url())
    assert again.get(HIT_HEADER) is None
    assert f"/ideas/{idea.pk}/answer/" in again.content.decode()
