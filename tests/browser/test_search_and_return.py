"""A visitor searches the city and narrows the results; a resident who logs in from
a page lands back on it. At a desktop width and a phone width."""

import pytest
from playwright.sync_api import expect

from forums.actions import do_reply, do_start_thread
from ideas import actions as idea_actions
from tests.factories import UserFactory, make_campaign, make_forum

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


def _city():
    ana = UserFactory(display_name="Ana Lima")
    campaign = make_campaign(title="Greener streets", slug="greener")
    idea_actions.do_propose_idea(
        ana,
        campaign,
        title="Trees along Station Street",
        description="Plant a row of plane trees for shade.",
    )
    forum = make_forum("Town square")
    thread = do_start_thread(ana, forum, "Shade in summer", "We need shade.")
    from django.test import override_settings

    with override_settings(
        AGORA_FORUM_RATE_LIMITS={
            "interval_seconds": 0,
            "new_account_interval_seconds": 0,
        }
    ):
        do_reply(UserFactory(), thread, "More trees beside the benches, please.")
    return campaign, forum


def open_menu(page) -> None:
    """On a phone the header's menu (a <details>) is folded: unfold it first."""
    if not page.locator(".site-nav").is_visible():
        page.locator(".site-menu__toggle").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_visitor_searches_and_narrows_by_kind(live_server, new_page, width):
    _city()
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/")
    open_menu(page)
    page.locator(".site-nav").get_by_role("link", name="Search").click()
    page.get_by_label("Search campaigns, ideas and discussions").fill('"trees (')
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("2 results")
    expect(page.locator("mark").first).to_have_text("trees", ignore_case=True)
    page.get_by_role("link", name="Posts (1)").click()
    expect(page.get_by_role("status")).to_contain_text("1 result")
    expect(page.locator(".search-hit")).to_contain_text("beside the benches")
    # Undo the filter, then open the idea from the results.
    page.get_by_role("link", name="Posts (1) remove this filter").click()
    expect(page.get_by_role("status")).to_contain_text("2 results")
    page.get_by_role("link", name="Trees along Station Street").click()
    expect(
        page.get_by_role("heading", name="Trees along Station Street")
    ).to_be_visible()
    # Nothing scrolls sideways on a phone.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("width", WIDTHS)
def test_login_returns_to_the_page(live_server, new_page, password, width):
    campaign, _forum = _city()
    resident = UserFactory(display_name="Rosa Resident")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + campaign.url + "?sort=new")
    open_menu(page)
    page.locator(".site-nav").get_by_role("link", name="Log in", exact=True).click()
    page.get_by_label("Email").fill(resident.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(live_server.url + campaign.url + "?sort=new")
    expect(page.get_by_role("heading", name="Greener streets")).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("link", name="Rosa Resident")).to_be_visible()
