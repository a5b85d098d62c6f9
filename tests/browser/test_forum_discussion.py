"""Ana starts a thread; Ben replies and likes her post; Ana finds both in her inbox."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_search_and_return import open_menu
from tests.factories import TEST_PASSWORD, UserFactory, make_forum

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def log_in(page, base_url, email):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    open_menu(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_two_residents_discuss_and_ana_is_notified(live_server, new_page, width):
    make_forum("Town square", rules="<p>Be kind.</p>")
    ana = UserFactory(display_name="Ana Lima")
    ben = UserFactory(display_name="Ben Okafor")

    a = new_page()
    a.set_viewport_size({"width": width, "height": 900})
    log_in(a, live_server.url, ana.email)
    a.locator(".site-nav").get_by_role("link", name="Forums").click()
    a.get_by_role("link", name="Town square").click()
    expect(a.get_by_text("Be kind.")).to_be_visible()
    a.get_by_label("Title").fill("Shade trees for the bus stops")
    a.get_by_label("Your post").fill("Waiting in the sun is *tough*.")
    a.get_by_role("button", name="Start thread").click()
    expect(
        a.get_by_role("heading", name="Shade trees for the bus stops")
    ).to_be_visible()
    thread_url = a.url

    b = new_page()
    b.set_viewport_size({"width": width, "height": 900})
    log_in(b, live_server.url, ben.email)
    b.goto(thread_url)
    expect(b.locator(".post__body em")).to_have_text("tough")
    b.get_by_label("Your reply").fill("Agreed, @Ana Lima, especially on 5th Street.")
    b.get_by_role("button", name="Post reply").click()
    expect(b.get_by_text("especially on 5th Street")).to_be_visible()
    first_post = b.locator(".post").first
    first_post.get_by_role("button", name="Like").click()
    expect(b.locator(".post").first.locator(".post__likes")).to_contain_text("1 likes")

    a.reload()
    expect(a.locator(".site-nav .badge")).to_have_text(
        "2"
    )  # the mention stands for the reply
    open_menu(a)
    a.get_by_role("link", name="Notifications").click()
    expect(
        a.get_by_text("Ben Okafor mentioned you in “Shade trees for the bus stops”")
    ).to_be_visible()
    expect(
        a.get_by_text("Ben Okafor liked your post in “Shade trees for the bus stops”")
    ).to_be_visible()
    a.get_by_role("link", name="Ben Okafor liked your post").click()
    expect(a.get_by_text("especially on 5th Street")).to_be_visible()
