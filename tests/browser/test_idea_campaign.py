"""The whole loop in a real browser: a resident proposes an idea with a category and
a place, a neighbour supports and comments, a planner answers, the author reads the
answer in their inbox."""

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, PlannerFactory, UserFactory, make_campaign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def log_in(page, base_url, user):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_propose_support_comment_answer_and_read_the_answer(
    live_server, new_page, settings
):
    # Tiles from the test server itself: no request leaves the machine.
    settings.AGORA_MAP_TILES_URL = "/static/no-tiles/{z}/{x}/{y}.png"
    campaign = make_campaign(
        title="Greener streets",
        categories=["Parks", "Transport"],
        location_asked=True,
        map_lat=50.88,
        map_lon=4.70,
    )
    author = UserFactory(display_name="Amara")
    neighbour = UserFactory(display_name="Bo")
    planner = PlannerFactory(display_name="Pat Planner")

    page = new_page()
    log_in(page, live_server.url, author)
    page.goto(live_server.url + campaign.url)
    page.get_by_role("link", name="Propose an idea").click()
    page.get_by_label("Title").fill("A drinking fountain in Lime Park")
    page.get_by_label("Description").fill("Children and runners need water in summer.")
    page.get_by_label("Parks").check()
    page.get_by_label("Address or place").fill("Lime Park, north gate")
    page.get_by_label("Latitude").fill("50.8812")
    page.get_by_label("Longitude").fill("4.7051")
    page.get_by_role("button", name="Publish my idea").click()
    expect(
        page.get_by_role("heading", name="A drinking fountain in Lime Park")
    ).to_be_visible()
    expect(page.locator(".idea__place")).to_contain_text("50.8812")
    expect(page.locator(".idea-categories")).to_contain_text("Parks")
    idea_url = page.url

    other = new_page()
    log_in(other, live_server.url, neighbour)
    other.goto(idea_url)
    other.get_by_role("button", name="Support", exact=True).click()
    expect(other.locator("[data-live-count$=':supports']")).to_have_text("1")
    other.get_by_label("Your reply").fill("Yes! One near the playground too, please.")
    other.get_by_role("button", name="Post reply").click()
    expect(other.locator(".posts")).to_contain_text("One near the playground too")

    staff = new_page()
    log_in(staff, live_server.url, planner)
    staff.goto(idea_url)
    staff.get_by_label("New state").select_option("planned")
    staff.get_by_label("Official answer").fill("Planned for June, at the north gate.")
    staff.get_by_role("button", name="Publish the answer").click()
    expect(staff.locator(".timeline")).to_contain_text("Planned for June")

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("Planned for June, at the north gate.")).to_be_visible()
    page.goto(idea_url)
    expect(page.locator(".timeline")).to_contain_text(
        "Planned for June, at the north gate."
    )
