"""The newcomer's flows in a real browser, on a desktop (1280 px) and a phone (390 px):
the folding menu, statements voted one after another, coming back to what you acted
on, live counts and empty texts, the photo through the similar-ideas check, the
idea's map, a picture on the profile, and the city's colours."""

import pytest
from django.test import override_settings
from PIL import Image
from playwright.sync_api import expect

from forums.actions import do_reply
from home.brand import BrandSettings
from home.demo import seed_home
from ideas.actions import do_propose_idea
from ideas.models import Idea, Vote
from tests.browser.site_pages import sign_in
from tests.factories import (
    NO_FORUM_RATE_LIMITS,
    IdeaFactory,
    UserFactory,
    make_campaign,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


@pytest.fixture
def open_page(browser):
    contexts = []

    def open_page(base_url, width, user=None, javascript=True):
        context = browser.new_context(
            locale="en-GB",
            viewport={"width": width, "height": 900},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        if user is not None:
            sign_in(context, base_url, user)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def jpeg_file(tmp_path):
    path = tmp_path / "fountain.jpg"
    Image.new("RGB", (80, 60), "teal").save(path, format="JPEG")
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_the_menu_folds_on_a_phone_and_opens_without_javascript(
    live_server, open_page, width
):
    seed_home()
    for javascript in (True, False):
        page = open_page(live_server.url, width, javascript=javascript)
        page.goto(live_server.url + "/")
        campaigns = page.locator(".site-nav").get_by_role("link", name="Campaigns")
        toggle = page.locator(".site-menu > summary")
        if width >= 960:
            expect(toggle).to_be_hidden()
            expect(campaigns).to_be_visible()
            continue
        expect(toggle).to_be_visible()
        expect(campaigns).to_be_hidden()
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 80  # not 170-190 px of a 640 px screen
        toggle.click()
        expect(campaigns).to_be_visible()
        box = campaigns.bounding_box()
        assert box["height"] >= 24  # touch target
        if javascript:
            page.keyboard.press("Escape")
            expect(campaigns).to_be_hidden()
            expect(toggle).to_be_focused()


@pytest.mark.parametrize("width", WIDTHS)
def test_statements_one_after_another_without_a_page_load(
    live_server, open_page, width
):
    seed_home()
    campaign = make_campaign(
        title="Housing", voting_mode="agree_disagree", support_threshold=5
    )
    for n in range(3):
        IdeaFactory(campaign=campaign, title=f"Statement number {n}")
    voter = UserFactory()
    page = open_page(live_server.url, width, voter)
    page.goto(live_server.url + campaign.url)
    page.get_by_role("link", name="Vote on statements one by one").click()
    page.evaluate("window.sameDocument = true")
    seen = set()
    for choice in ("Agree", "Disagree", "Pass / unsure"):
        title = page.locator("#vote-card-title").inner_text()
        assert title not in seen
        seen.add(title)
        page.locator(".vote-card").get_by_role(
            "button", name=choice, exact=True
        ).click()
        expect(page.locator(".vote-deck__progress")).to_contain_text(
            f"{len(seen)} of 3 statements voted"
        )
    done = page.locator("#vote-card")
    expect(done).to_contain_text("You have voted on every statement")
    expect(done).to_be_focused()
    # Three votes, and no page load between them.
    assert page.evaluate("window.sameDocument") is True
    choices = Vote.objects.filter(user=voter).values_list("choice", flat=True)
    assert sorted(choices) == [-1, 0, 1]


@pytest.mark.parametrize("width", WIDTHS)
def test_statements_deck_works_without_javascript(live_server, open_page, width):
    seed_home()
    campaign = make_campaign(voting_mode="agree_disagree", support_threshold=5)
    for n in range(2):
        IdeaFactory(campaign=campaign, title=f"Statement number {n}")
    voter = UserFactory()
    page = open_page(live_server.url, width, voter, javascript=False)
    page.goto(live_server.url + f"/ideas/campaign/{campaign.pk}/statements/")
    page.get_by_role("button", name="Agree", exact=True).click()
    expect(page).to_have_url(
        live_server.url + f"/ideas/campaign/{campaign.pk}/statements/#vote-card"
    )
    expect(page.locator(".vote-deck__progress")).to_contain_text("1 of 2")
    page.get_by_role("button", name="Disagree").click()
    expect(page.get_by_text("You have voted on every statement")).to_be_visible()
    assert Vote.objects.filter(user=voter).count() == 2


@pytest.mark.parametrize("width", WIDTHS)
def test_after_an_action_the_page_comes_back_to_the_item(live_server, open_page, width):
    seed_home()
    campaign = make_campaign(voting_mode="agree_disagree", support_threshold=5)
    ideas = [IdeaFactory(campaign=campaign, title=f"Statement {n}") for n in range(8)]
    support_campaign = make_campaign(support_threshold=5)
    idea = IdeaFactory(campaign=support_campaign, title="Shade trees")
    page = open_page(live_server.url, width, UserFactory())

    page.goto(live_server.url + idea.get_absolute_url())
    page.get_by_role("button", name="Support", exact=True).click()
    expect(page).to_have_url(live_server.url + idea.get_absolute_url() + "#support")
    expect(page.locator("#support")).to_be_focused()
    expect(page.get_by_role("button", name="Withdraw my support")).to_be_in_viewport()

    page.goto(live_server.url + campaign.url)
    last = page.locator(".idea-card").last
    last_id = last.get_attribute("id")
    last.get_by_role("button", name="Disagree").click()
    expect(page).to_have_url(f"{live_server.url}{campaign.url}#{last_id}")
    expect(page.locator(f"#{last_id}")).to_be_focused()
    expect(page.locator(f"#{last_id}")).to_be_in_viewport()
    expect(
        page.locator(f"#{last_id}").get_by_role("button", name="Disagree")
    ).to_have_attribute("aria-pressed", "true")
    assert Vote.objects.get(idea_id=int(last_id.split("-")[1])).choice == -1
    assert len(ideas) == 8


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
@pytest.mark.parametrize("width", WIDTHS)
def test_live_comment_makes_counts_and_empty_text_true(
    daphne_live_server, open_page, width
):
    server = daphne_live_server
    campaign = make_campaign(support_threshold=50)
    idea = do_propose_idea(
        UserFactory(),
        campaign,
        title="Shade trees on Market",
        description="Plant them.",
    )
    page = open_page(server.url, width, UserFactory())
    page.goto(server.url + idea.get_absolute_url())
    expect(page.locator("body")).to_have_attribute("data-live-state", "live")
    empty = page.get_by_text("No posts yet. Be the first to say something.")
    heading = page.locator(".discussion__heading")
    expect(empty).to_be_visible()
    expect(heading).to_have_text("0 posts")

    idea.refresh_from_db()
    do_reply(UserFactory(display_name="Ben"), idea.thread, "Yes, by the bus stop.")
    expect(page.get_by_text("Yes, by the bus stop.")).to_be_visible()
    expect(empty).to_be_hidden()
    expect(heading).to_have_text("1 post")
    do_reply(UserFactory(), idea.thread, "And benches too.")
    expect(heading).to_have_text("2 posts")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_photo_survives_the_similar_ideas_check(
    live_server, open_page, width, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_home()
    campaign = make_campaign()
    IdeaFactory(campaign=campaign, title="A fountain in the park")
    author = UserFactory()
    # Without JavaScript the check is a round trip, where browsers drop the file.
    page = open_page(live_server.url, width, author, javascript=False)
    page.goto(live_server.url + f"/ideas/campaign/{campaign.pk}/propose/")
    page.get_by_label("Title").fill("A drinking fountain in Lime Park")
    page.get_by_label("Description").fill("Children and runners need water.")
    page.get_by_label("Photo").set_input_files(str(jpeg_file(tmp_path)))
    page.get_by_role("button", name="Check for similar ideas").click()
    expect(page.locator("#photo-draft")).to_contain_text("fountain.jpg")
    page.get_by_role("button", name="Publish my idea").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "A drinking fountain in Lime Park"
    )
    expect(page.locator("img.idea__photo")).to_be_visible()
    assert Idea.objects.get(author=author).photo


@pytest.mark.parametrize("width", WIDTHS)
def test_the_idea_page_shows_a_map_and_the_address(
    live_server, open_page, width, settings
):
    settings.AGORA_MAP_TILES_URL = "/static/no-tiles/{z}/{x}/{y}.png"
    seed_home()
    campaign = make_campaign(location_asked=True)
    idea = IdeaFactory(
        campaign=campaign, lat=50.8812, lon=4.7051, address="Lime Park, north gate"
    )
    page = open_page(live_server.url, width)
    page.goto(live_server.url + idea.get_absolute_url())
    place = page.locator(".idea__place")
    expect(place).to_contain_text("Lime Park, north gate")
    expect(place).to_contain_text("50.88120° N, 4.70510° E")
    expect(page.locator("#idea-map.leaflet-container")).to_be_visible()
    expect(page.locator("#idea-map .leaflet-marker-icon")).to_have_count(1)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_adds_a_picture_and_the_city_its_colours(
    live_server, open_page, width, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_home()
    BrandSettings.objects.create(city_name="Leuven", brand_colour="#7a1f3d")
    resident = UserFactory(display_name="Amara Okafor")
    page = open_page(live_server.url, width, resident)
    page.goto(live_server.url + "/me/")
    expect(page.locator(".brand")).to_have_text("Leuven")
    primary = page.get_by_role("button", name="Save")
    assert primary.evaluate("b => getComputedStyle(b).backgroundColor") == (
        "rgb(122, 31, 61)"
    )
    # A secondary button is not painted like the primary one (the old specificity bug).
    upload = page.get_by_role("button", name="Upload picture")
    assert upload.evaluate("b => getComputedStyle(b).backgroundColor") == (
        "rgb(255, 255, 255)"
    )
    expect(page.locator(".avatar-editor .avatar")).to_have_text("AO")
    page.get_by_label("Profile picture").set_input_files(str(jpeg_file(tmp_path)))
    upload.click()
    expect(page.get_by_text("Your picture is saved.")).to_be_visible()
    expect(page.locator(".avatar-editor img.avatar")).to_be_visible()
    expect(page.locator("#avatar")).to_be_focused()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_resident_proposes_an_idea_with_a_photo_and_a_point_on_the_map(
    live_server, open_page, width, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AGORA_MAP_TILES_URL = "/static/no-tiles/{z}/{x}/{y}.png"
    seed_home()
    campaign = make_campaign(location_asked=True, map_lat=50.88, map_lon=4.70)
    author = UserFactory()
    page = open_page(live_server.url, width, author)
    page.goto(live_server.url + f"/ideas/campaign/{campaign.pk}/propose/")
    page.get_by_label("Title").fill("A drinking fountain in Lime Park")
    page.get_by_label("Description").fill("Children and runners need water.")
    page.get_by_label("Photo").set_input_files(str(jpeg_file(tmp_path)))
    page.get_by_label("Address or place").fill("Lime Park, north gate")
    # A tap on the map places the idea: the picker fills the coordinates.
    picker = page.locator(".idea-map--picker.leaflet-container")
    expect(picker).to_be_visible()
    picker.scroll_into_view_if_needed()
    picker.click()
    expect(page.get_by_label("Latitude")).not_to_have_value("")
    expect(page.locator(".idea-map--picker .leaflet-marker-icon")).to_have_count(1)
    lat = float(page.get_by_label("Latitude").input_value())
    lon = float(page.get_by_label("Longitude").input_value())
    page.get_by_role("button", name="Publish my idea").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "A drinking fountain in Lime Park"
    )
    expect(page.locator("img.idea__photo")).to_be_visible()
    expect(page.locator(".idea__place")).to_contain_text("Lime Park, north gate")
    expect(page.locator("#idea-map .leaflet-marker-icon")).to_have_count(1)
    idea = Idea.objects.get(author=author)
    assert idea.photo
    assert (round(idea.lat, 5), round(idea.lon, 5)) == (round(lat, 5), round(lon, 5))
    # The map opened on the campaign's centre, so the tap landed near it.
    assert abs(idea.lat - 50.88) < 0.1 and abs(idea.lon - 4.70) < 0.1
