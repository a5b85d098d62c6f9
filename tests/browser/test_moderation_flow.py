"""A resident flags a post; the moderator's open queue shows it without a reload;
the moderator hides it with a reason; the author reads the reason."""

import pytest
from django.test import Client, override_settings
from playwright.sync_api import expect

from accounts.roles import Role
from forums.actions import do_start_thread
from tests.factories import UserFactory, make_forum

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def logged_in_page(new_page, live_server, user):
    """A browser context holding `user`'s session (made by Django's test client)."""
    client = Client()
    client.force_login(user)
    page = new_page()
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    return page


@override_settings(
    AGORA_FORUM_RATE_LIMITS={
        "interval_seconds": 0,
        "new_account_interval_seconds": 0,
        "new_account_hours": 24,
    }
)
def test_flag_queue_hide_and_the_author_reads_why(daphne_live_server, new_page):
    live_server = daphne_live_server
    forum = make_forum("Town square")
    ana = UserFactory(display_name="Ana Lima")
    ben = UserFactory(display_name="Ben Okafor")
    mia = UserFactory(display_name="Mia Moderator", roles=[Role.MODERATOR])
    thread = do_start_thread(ana, forum, "Noisy bars", "The bar owner is an idiot.")

    moderator = logged_in_page(new_page, live_server, mia)
    moderator.goto(live_server.url + "/admin/moderation/queue/")
    expect(moderator.get_by_text("Nothing is waiting")).to_be_visible()
    expect(moderator.locator("body")).to_have_attribute("data-live-state", "live")

    resident = logged_in_page(new_page, live_server, ben)
    resident.goto(live_server.url + f"/discussions/threads/{thread.pk}/")
    resident.get_by_role("link", name="Flag").first.click()  # the flag page
    resident.get_by_label("Abusive or hateful").check()
    resident.get_by_role("button", name="Send to the moderators").click()
    expect(resident.get_by_text("The moderators will look at it")).to_be_visible()

    # No reload: the flag arrives in the moderator's queue over /ws/live/.
    row = moderator.locator("tbody[data-live-list='moderation.queue:items'] tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("The bar owner is an idiot.")
    expect(row).to_contain_text("Abusive or hateful")
    row.get_by_role("link", name="Post").click()
    moderator.get_by_label("Decision").select_option("hide")
    moderator.get_by_label("Category").select_option("abuse")
    moderator.get_by_label("Reason shown to the author").fill(
        "Please criticise the bar, not the person."
    )
    moderator.get_by_role("button", name="Apply", exact=True).click()
    expect(moderator.get_by_text("Nothing is waiting")).to_be_visible()

    author = logged_in_page(new_page, live_server, ana)
    author.goto(live_server.url + f"/discussions/threads/{thread.pk}/")
    expect(
        author.get_by_text("Please criticise the bar, not the person.")
    ).to_be_visible()
    expect(author.get_by_role("link", name="Appeal this decision")).to_be_visible()

    resident.reload()
    expect(resident.get_by_text("The bar owner is an idiot.")).to_have_count(0)
