"""Two tabs, live: Ben watches his inbox while notifications arrive, loses his
connection, and on reconnecting sees everything that happened meanwhile."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.actions import do_notify
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(browser, server, user):
    """A tab of its own (own cookies) where `user` is logged in."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server.url,
            }
        ]
    )
    return context, context.new_page()


def test_notifications_arrive_live_and_missed_ones_after_reconnecting(
    browser, daphne_live_server
):
    ana, ben = UserFactory(display_name="Ana"), UserFactory(display_name="Ben")
    server = daphne_live_server
    context_a, page_a = logged_in_page(browser, server, ana)
    context_b, page_b = logged_in_page(browser, server, ben)
    try:
        page_a.goto(server.url + "/me/notifications/")
        page_b.goto(server.url + "/me/notifications/")
        expect(page_b.locator("body")).to_have_attribute("data-live-state", "live")
        inbox = page_b.locator("#notifications")
        badge = page_b.locator(f'[data-live-count="user.{ben.pk}:unread"]')
        expect(badge).to_be_hidden()

        do_notify(ben, "reply", "Ana replied to your post", "/", actor=ana)
        expect(
            inbox.get_by_role("link", name="Ana replied to your post")
        ).to_be_visible()
        expect(badge).to_have_text("1")
        expect(page_b.get_by_text("Nothing yet.")).to_be_hidden()
        expect(page_b.locator("#live-announcer")).to_have_text(
            "Ana replied to your post"
        )
        # Ana's tab follows only her own topic: nothing of Ben's shows there.
        expect(page_a.locator("#notifications li")).to_have_count(0)

        # Ben's connection drops; two things happen while he is away.
        context_b.set_offline(True)
        expect(page_b.locator("body")).not_to_have_attribute("data-live-state", "live")
        do_notify(ben, "mention", "Ana mentioned you", "/", actor=ana)
        do_notify(ben, "answer", "The city answered your idea", "/", actor=ana)
        context_b.set_offline(False)

        expect(page_b.locator("body")).to_have_attribute("data-live-state", "live")
        expect(inbox.locator("li")).to_have_count(3)
        expect(inbox.locator("li").first).to_contain_text("The city answered your idea")
        expect(inbox.locator("li").nth(1)).to_contain_text("Ana mentioned you")
        expect(badge).to_have_text("3")
    finally:
        context_a.close()
        context_b.close()
