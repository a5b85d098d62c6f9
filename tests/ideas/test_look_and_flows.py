"""What a resident sees and does on campaigns: cards with image, phase and dates;
progress towards the threshold; the place of an idea on a map in their own number
format; statements voted one after another; coming back to the item acted on; and a
photo that survives the similar-ideas check."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from ideas import actions
from ideas.models import CampaignIndexPage, Idea, Vote, VoteChoice
from ideas.templatetags.places import coordinates
from tests.factories import IdeaFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, format="JPEG")
    return out.getvalue()


def test_campaigns_are_cards_with_phase_and_dates_at_fixed_queries(
    client, django_assert_max_num_queries, settings
):
    # The rendering's queries are measured, not a hit of the anonymous page cache
    # (which answers the second load with none, config/pagecache.py).
    settings.AGORA_PAGE_CACHE_SECONDS = 0
    make_campaign(title="Trees along Station Street", question="Where should trees go?")
    index = CampaignIndexPage.objects.get()
    client.get(index.url)  # warm Wagtail's site cache
    with django_assert_max_num_queries(12) as few:
        html = client.get(index.url).content.decode()
    for n in range(5):
        make_campaign(title=f"More campaign {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        more = client.get(index.url).content.decode()
    assert more.count('class="campaign-card"') == 6
    card = re.search(r'<li class="campaign-card".*?</li>', html, re.S).group(0)
    assert "Trees along Station Street" in card
    assert "Collecting ideas" in card
    assert re.search(r"<time datetime=\"\d{4}-", card)


def test_an_idea_card_shows_progress_towards_the_threshold(client):
    campaign = make_campaign(support_threshold=10)
    idea = IdeaFactory(campaign=campaign, support_count=4)
    html = client.get(campaign.url).content.decode()
    bar = re.search(r"<progress[^>]*>", html).group(0)
    assert 'max="10"' in bar and 'value="4"' in bar
    assert f'data-live-progress="campaign.{campaign.pk}:supports.{idea.pk}"' in bar
    assert "10 supports bring an official review" in html


def test_coordinates_follow_the_readers_number_format():
    idea = Idea(lat=50.879, lon=-4.701)
    with translation.override("en"):
        assert coordinates(idea) == "50.87900° N, 4.70100° W"
    with translation.override("es"):
        assert coordinates(idea) == "50,87900° N; 4,70100° O"
    with translation.override("ru"):
        assert coordinates(idea) == "50,87900° с. ш.; 4,70100° з. д."
    assert coordinates(Idea()) == ""


def test_the_idea_page_shows_its_place_on_a_map(client, settings):
    settings.AGORA_MAP_TILES_URL = "/static/no-tiles/{z}/{x}/{y}.png"
    campaign = make_campaign(location_asked=True)
    idea = IdeaFactory(
        campaign=campaign, lat=50.8812, lon=4.7051, address="Lime Park, north gate"
    )
    html = client.get(idea.get_absolute_url()).content.decode()
    assert "Lime Park, north gate" in html
    assert "50.88120° N, 4.70510° E" in html
    assert "data-idea-map" in html and 'data-lat="50.881200"' in html
    assert "vendor/leaflet/leaflet.js" in html


def test_support_comes_back_to_the_support_section(client):
    idea = IdeaFactory()
    client.force_login(UserFactory())
    page = client.get(idea.get_absolute_url()).content.decode()
    next_url = re.search(r'name="next" value="([^"]+)"', page).group(1)
    assert next_url == f"{idea.get_absolute_url()}#support"
    response = client.post(reverse("ideas:support", args=[idea.pk]), {"next": next_url})
    assert response["Location"] == f"{idea.get_absolute_url()}#support"
    # Without a usable next, the page still comes back to the same place.
    response = client.post(
        reverse("ideas:follow", args=[idea.pk]), {"next": "//evil.example/"}
    )
    assert response["Location"] == f"{idea.get_absolute_url()}#support"


def statements_campaign(n=3):
    campaign = make_campaign(voting_mode="agree_disagree", support_threshold=5)
    ideas = [IdeaFactory(campaign=campaign, title=f"Statement {i}") for i in range(n)]
    return campaign, ideas


def test_statements_can_be_voted_from_the_list_coming_back_to_the_card(client):
    campaign, ideas = statements_campaign()
    voter = UserFactory()
    client.force_login(voter)
    html = client.get(campaign.url).content.decode()
    assert html.count('class="vote-form"') == 3
    target = ideas[1]
    response = client.post(
        reverse("ideas:vote", args=[target.pk]),
        {"choice": "1", "next": f"{campaign.url}#idea-{target.pk}"},
    )
    assert response["Location"] == f"{campaign.url}#idea-{target.pk}"
    html = client.get(campaign.url).content.decode()
    card = re.search(rf'id="idea-{target.pk}".*?</article>', html, re.S).group(0)
    assert 'aria-pressed="true"' in card and "button--chosen" in card


def test_the_statement_deck_gives_one_statement_after_another(
    client, django_assert_max_num_queries
):
    campaign, ideas = statements_campaign(3)
    voter = UserFactory()
    actions.do_vote_idea(voter, ideas[0], VoteChoice.DISAGREE)
    client.force_login(voter)
    deck = reverse("ideas:vote_deck", args=[campaign.pk])
    seen = []
    for _ in range(2):
        with django_assert_max_num_queries(20):
            html = client.get(deck).content.decode()
        title = re.search(r'id="vote-card-title">([^<]+)<', html).group(1)
        assert title != "Statement 0" and title not in seen
        seen.append(title)
        idea = Idea.objects.get(campaign=campaign, title=title)
        response = client.post(
            reverse("ideas:vote", args=[idea.pk]),
            {"choice": "0", "next": f"{deck}#vote-card"},
        )
        assert response["Location"] == f"{deck}#vote-card"
    html = client.get(deck).content.decode()
    assert "You have voted on every statement" in html
    assert "3 of 3 statements voted" in html
    assert Vote.objects.filter(user=voter).count() == 3


def test_the_deck_without_an_account_invites_to_log_in_and_only_serves_vote_campaigns(
    client,
):
    campaign, _ideas = statements_campaign(1)
    html = client.get(reverse("ideas:vote_deck", args=[campaign.pk])).content.decode()
    assert "Log in to vote" in html and "0 of 1 statements voted" in html
    support_campaign = make_campaign()
    response = client.get(reverse("ideas:vote_deck", args=[support_campaign.pk]))
    assert response.status_code == 404


def test_the_photo_survives_the_similar_ideas_check(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign()
    resident = UserFactory()
    client.force_login(resident)
    url = reverse("ideas:propose", args=[campaign.pk])
    fields = {"title": "A fountain in Lime Park", "description": "Water for runners."}
    photo = SimpleUploadedFile("fountain.jpg", jpeg(), "image/jpeg")
    html = client.post(url, {**fields, "photo": photo, "preview": "1"}).content.decode()
    token = re.search(r'name="photo_draft" value="([^"]+)"', html).group(1)
    assert "fountain.jpg" in html and "is kept" in html

    # Another resident cannot use the token to take the photo.
    other = UserFactory()
    client.force_login(other)
    client.post(url, {**fields, "photo_draft": token, "submit": "1"})
    assert not Idea.objects.get(author=other).photo

    client.force_login(resident)
    response = client.post(url, {**fields, "photo_draft": token, "submit": "1"})
    assert response.status_code == 302
    idea = Idea.objects.get(author=resident)
    assert idea.photo
    with Image.open(idea.photo.path) as stored:
        assert stored.size == (64, 48)
    assert not list((tmp_path / "idea-drafts").iterdir())


def test_the_idea_page_shows_each_viewer_their_own_support_vote_and_follow(client):
    """The viewer's support, vote and follow come with the idea in one query
    (ideas.views._get_idea with_viewer): each reader sees theirs, no one else's."""
    from ideas.actions import do_follow_idea, do_support_idea, do_vote_idea

    idea = IdeaFactory()
    fan, other = UserFactory(), UserFactory()
    do_support_idea(fan, idea)
    do_follow_idea(fan, idea)
    client.force_login(fan)
    mine = client.get(reverse("ideas:idea", args=[idea.pk])).content.decode()
    assert "Withdraw my support" in mine and "Stop following" in mine
    client.force_login(other)
    theirs = client.get(reverse("ideas:idea", args=[idea.pk])).content.decode()
    assert "Withdraw my support" not in theirs and "Stop following" not in theirs
    assert "Follow this idea" in theirs

    campaign, (statement, *_rest) = statements_campaign(1)
    do_vote_idea(fan, statement, -1)
    client.force_login(fan)
    page = client.get(reverse("ideas:idea", args=[statement.pk])).content.decode()
    chosen = re.findall(
        r'class="button button--small button--chosen"[^>]*>([^<]+)<', page
    )
    assert chosen == ["Disagree"]
    client.force_login(other)
    page = client.get(reverse("ideas:idea", args=[statement.pk])).content.decode()
    assert "button--chosen" not in page
