"""Two residents on one idea's page: what one does, the other sees without reloading,
even across a dropped connection."""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from forums.models import Post
from ideas.actions import do_propose_idea, do_support_idea
from tests.browser.test_two_tabs_live import logged_in_page
from tests.factories import NO_FORUM_RATE_LIMITS, UserFactory, make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_comment_and_support_appear_live_on_the_other_residents_page(
    browser, daphne_live_server
):
    server = daphne_live_server
    campaign = make_campaign(support_threshold=50)
    rosa, carl = UserFactory(display_name="Rosa"), UserFactory(display_name="Carl")
    ana, ben = UserFactory(display_name="Ana"), UserFactory(display_name="Ben")
    idea = do_propose_idea(
        rosa, campaign, title="Shade trees on Market Street", description="Plant them."
    )
    context_a, page_a = logged_in_page(browser, server, ana)
    context_b, page_b = logged_in_page(browser, server, ben)
    try:
        url = server.url + idea.get_absolute_url()
        page_a.goto(url)
        page_b.goto(url)
        expect(page_b.locator("body")).to_have_attribute("data-live-state", "live")
        supports_b = page_b.locator(f'[data-live-count="idea.{idea.pk}:supports"]')
        expect(supports_b).to_have_text("0")

        # Ana comments and supports in her tab; Ben's page changes by itself.
        page_a.get_by_label("Your reply").fill(
            "Yes please, the bus stop bakes in July."
        )
        page_a.get_by_role("button", name="Post reply").click()
        page_a.get_by_role("button", name="Support").first.click()
        posts_b = page_b.locator(f'[data-live-list="thread.{idea.thread_id}:posts"]')
        expect(posts_b).to_contain_text("the bus stop bakes in July")
        expect(supports_b).to_have_text("1")

        # The post arrived as a fragment rendered for nobody in particular; its
        # like button still works for Ben (the page gives it his CSRF token).
        post = Post.objects.get(thread_id=idea.thread_id)
        page_b.locator(f"#{post.dom_id()}").get_by_role("button", name="Like").click()
        expect(
            page_b.locator(
                f'[data-live-count="thread.{idea.thread_id}:post-{post.pk}:likes"]'
            )
        ).to_have_text("1")
        expect(page_b.locator("body")).to_have_attribute("data-live-state", "live")

        # Ben's connection drops; meanwhile Ana comments again and Carl supports
        # (Rosa proposed it: her own support would not count, docs/security.md).
        context_b.set_offline(True)
        expect(page_b.locator("body")).not_to_have_attribute("data-live-state", "live")
        page_a.get_by_label("Your reply").fill("And benches under them, please.")
        page_a.get_by_role("button", name="Post reply").click()
        expect(page_a.get_by_text("And benches under them")).to_be_visible()
        do_support_idea(carl, idea)
        context_b.set_offline(False)

        # Back online: what he missed is replayed, in order, once.
        expect(page_b.locator("body")).to_have_attribute("data-live-state", "live")
        expect(posts_b).to_contain_text("And benches under them")
        expect(posts_b.get_by_text("And benches under them")).to_have_count(1)
        expect(supports_b).to_have_text("2")
    finally:
        context_a.close()
        context_b.close()
