"""The remembered route to a Wagtail page (config/routecache.py): a signed-in
resident's next visit skips Wagtail's routing queries, every change of the page
tree routes afresh on the very next request, and who may see a page is still
decided on every request."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from forums.actions import do_reply, do_start_thread
from ideas import actions
from tests.factories import NO_FORUM_RATE_LIMITS, UserFactory, make_campaign, make_forum

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries_of(client: Client, url: str) -> tuple[int, list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    sql = [q["sql"] for q in ctx.captured_queries]
    return response.status_code, sql, response.content.decode()


def test_a_second_visit_skips_wagtails_routing_and_shows_the_same_page():
    campaign = make_campaign(title="Greener streets")
    resident = UserFactory()
    client = signed_in(resident)
    status, first, html_first = queries_of(client, campaign.url)
    assert status == 200
    status, second, html_second = queries_of(client, campaign.url)
    assert status == 200
    assert "Greener streets" in html_second
    # Wagtail's site look-up and its walk down the tree are gone.
    assert any("wagtailcore_site" in q for q in first)
    assert not any("wagtailcore_site" in q for q in second)
    assert len(second) <= len(first) - 4
    # The front page and the campaign are told apart (the path is Wagtail's
    # positional argument, not a keyword).
    assert "Greener streets" in client.get(campaign.url).content.decode()
    home = client.get("/").content.decode()
    assert '<h1 class="campaign' not in home


def test_the_route_follows_a_new_slug_and_an_unpublished_page_on_the_next_request():
    campaign = make_campaign(title="Night buses")
    client = signed_in(UserFactory())
    old_url = campaign.url
    assert client.get(old_url).status_code == 200
    assert client.get(old_url).status_code == 200  # now remembered
    campaign.slug = "late-buses"
    campaign.save_revision().publish()
    assert client.get(old_url).status_code == 404
    new_url = old_url.rstrip("/").rsplit("/", 1)[0] + "/late-buses/"
    assert client.get(new_url).status_code == 200
    assert client.get(new_url).status_code == 200  # remembered again
    campaign.refresh_from_db()
    campaign.unpublish()
    assert client.get(new_url).status_code == 404


def test_a_restricted_page_is_refused_to_whom_it_should_be_even_on_a_remembered_route():
    campaign = make_campaign(title="Staff preview")
    planners = Group.objects.create(name="Insiders")
    insider = UserFactory()
    insider.groups.add(planners)
    restriction = PageViewRestriction.objects.create(
        page=campaign, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(planners)
    url = campaign.url
    # The insider's visits remember the route ...
    assert signed_in(insider).get(url).status_code == 200
    assert signed_in(insider).get(url).status_code == 200
    # ... and the restriction still applies to everyone else.
    outsider = signed_in(UserFactory())
    response = outsider.get(url)
    assert response.status_code in (302, 403)
    assert "Staff preview" not in response.content.decode()
    assert Client().get(url).status_code in (302, 403)


def test_restrictions_are_read_with_the_route_and_a_new_one_applies_at_once():
    campaign = make_campaign(title="Harbour plans")
    client = signed_in(UserFactory())
    url = campaign.url
    assert client.get(url).status_code == 200
    status, again, _html = queries_of(client, url)
    assert status == 200
    assert not any("wagtailcore_pageviewrestriction" in q for q in again)
    # A restriction added later is a privacy edit: it moves the version, and the
    # very next request reads it and refuses the resident.
    insiders = Group.objects.create(name="Harbour board")
    restriction = PageViewRestriction.objects.create(
        page=campaign, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(insiders)
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "Harbour plans" not in response.content.decode()


def test_the_front_page_shows_a_new_campaign_and_each_residents_own_unread_count():
    forum = make_forum("Town square")
    ana, ben = UserFactory(), UserFactory()
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    ana_client, ben_client = signed_in(ana), signed_in(ben)
    # Ben opens the thread (a read state), then Ana posts again: Ben has news.
    assert ben_client.get(thread.get_absolute_url()).status_code == 200
    with override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS):
        do_reply(ana, thread, "And on Sundays too.")
    assert "with new posts" in ben_client.get("/").content.decode()
    # The shared part is cached now; Ana, who wrote the posts, has none new.
    assert "with new posts" not in ana_client.get("/").content.decode()
    assert "with new posts" in ben_client.get("/").content.decode()
    # A campaign featured after the front page was cached shows at once.
    make_campaign(title="Library boat", featured=True)
    assert "Library boat" in ben_client.get("/").content.decode()
    idea = actions.do_propose_idea(
        ana,
        make_campaign(title="Quiet parks", featured=True),
        title="Benches",
        description="More benches.",
    )
    assert idea.pk and "Quiet parks" in ana_client.get("/").content.decode()
