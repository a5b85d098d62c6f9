"""The front page, search and the site-wide shell, as a visitor meets them."""

import pytest
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase

from home.demo import seed_home
from home.models import HomePage

pytestmark = pytest.mark.django_db


class TestHomePageInTheTree(WagtailPageTestCase):
    def test_home_page_can_be_created_under_the_root(self):
        self.assertCanCreateAt(Page, HomePage)

    def test_home_page_renders_with_its_intro(self):
        home, _ = seed_home()
        self.assertPageIsRenderable(home)
        response = self.client.get("/")
        self.assertContains(response, home.title)
        self.assertContains(response, "Welcome to Agora")


def test_seed_home_makes_it_the_site_root_and_is_idempotent():
    home, created = seed_home()
    again, created_again = seed_home()
    assert created and not created_again
    assert again.pk == home.pk
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert HomePage.objects.count() == 1
    assert home.slug == "home"


def test_every_page_has_a_skip_link_navigation_and_a_language_switcher(client):
    seed_home()
    html = client.get("/").content.decode()
    assert 'href="#main"' in html
    assert 'id="main"' in html
    assert 'aria-label="Main"' in html
    assert 'name="language"' in html
    assert '<label for="language-select">' in html


def test_content_security_policy_is_sent_on_public_and_admin_pages(client):
    seed_home()
    public = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in public
    assert "unsafe-inline" not in public
    admin = client.get("/admin/login/")["Content-Security-Policy"]
    assert "default-src 'self'" in admin


def test_search_with_hostile_or_huge_query_is_answered_calmly(client):
    response = client.get("/search/", {"q": "<script>alert(1)</script>" * 50})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_unknown_page_gets_a_helpful_404(client):
    seed_home()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_health_check_needs_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.content == b"ok"


def test_language_switcher_changes_the_language(client):
    seed_home()
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="es">' in html


def test_the_front_page_lists_polls_and_budgets_to_take_part_in(
    client, django_assert_max_num_queries
):
    """A newcomer finds the city's votes and budgets from the front page, each with
    its state, in a fixed number of queries however many there are."""
    from tests.factories import make_budget, make_poll

    open_poll = make_poll(title="Riverside park: what first?")
    budget = make_budget(title="Neighbourhood budget")
    client.get("/")  # warm the brand and site caches, as a running server has them
    with django_assert_max_num_queries(30):
        page = client.get("/").content.decode()
    assert "Riverside park: what first?" in page and open_poll.url in page
    assert "Neighbourhood budget" in page and budget.url in page
    assert 'data-state="open"' in page
    for n in range(5):
        make_poll(title=f"Poll number {n}")
    with django_assert_max_num_queries(30):
        assert "Poll number 4" in client.get("/").content.decode()
