"""A resident proposes an idea; pre-moderation, staff-entered ideas, edit and withdraw."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ideas import actions
from ideas.models import Follow, Idea, IdeaSource, IdeaState
from live.models import Event
from moderation.models import Visibility
from tests.factories import PlannerFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db


def propose(user, campaign, **kw):
    kw.setdefault("title", "Benches in the market square")
    kw.setdefault("description", "Older neighbours need somewhere to rest.")
    return actions.do_propose_idea(user, campaign, **kw)


def test_resident_proposes_an_idea_with_category_tags_and_location(campaign, resident):
    parks = campaign.categories.get(name="Parks")
    idea = propose(
        resident,
        campaign,
        categories=[parks],
        tags=["Shade", "benches"],
        lat=50.88,
        lon=4.70,
        address="Market square",
    )
    idea.refresh_from_db()
    assert idea.visibility == Visibility.PUBLISHED
    assert idea.state == IdeaState.PUBLISHED
    assert [c.name for c in idea.categories.all()] == ["Parks"]
    assert sorted(t.name for t in idea.tags.all()) == ["benches", "shade"]
    assert (idea.lat, idea.lon, idea.address) == (50.88, 4.70, "Market square")
    assert idea.thread is not None and idea.thread.host_id == idea.pk
    # The author follows their idea, and the campaign page hears of it live.
    assert Follow.objects.filter(user=resident, idea=idea).exists()
    event = Event.objects.get(topic=f"campaign.{campaign.pk}", type="idea.created")
    assert "Benches in the market square" in event.data["html"]
    assert event.data["list"] == f"campaign.{campaign.pk}:ideas"
    assert event.data["counts"] == {"ideas": 1}  # "Ideas (N)" stays true live


def test_category_not_offered_by_the_campaign_is_refused(campaign, resident):
    other = make_campaign(categories=["Nightlife"])
    with pytest.raises(actions.IdeaError, match="from those this campaign offers"):
        propose(resident, campaign, categories=list(other.categories.all()))


def test_campaign_followers_hear_of_new_ideas(campaign, resident):
    follower = UserFactory()
    actions.do_follow_campaign(follower, campaign)
    propose(resident, campaign)
    assert follower.notifications.filter(kind="idea.created").count() == 1


def test_premoderation_holds_the_idea_for_a_moderator(resident, client):
    campaign = make_campaign(premoderated=True)
    idea = propose(resident, campaign)
    assert idea.visibility == Visibility.PENDING
    assert not Event.objects.filter(type="idea.created").exists()
    # Nobody else sees it; its author sees it marked as waiting for review.
    assert b"Benches in the market" not in client.get(campaign.url).content
    assert client.get(idea.get_absolute_url()).status_code == 404
    client.force_login(resident)
    page = client.get(campaign.url).content.decode()
    assert "Benches in the market" in page and "waiting for review" in page
    with pytest.raises(actions.IdeaError, match="not published"):
        actions.do_support_idea(UserFactory(), idea)


def test_staff_record_an_idea_gathered_on_paper(campaign):
    planner = PlannerFactory()
    idea = actions.do_record_idea(
        planner,
        campaign,
        source=IdeaSource.PAPER,
        submitter_name="Mrs Janssens",
        title="A post box near the care home",
        description="Written on a card at the meeting.",
    )
    assert (
        idea.source == "paper" and idea.recorded_by == planner and idea.author is None
    )
    assert idea.visibility == Visibility.PUBLISHED


def test_residents_cannot_record_ideas_for_others(campaign, resident):
    with pytest.raises(PermissionDenied):
        actions.do_record_idea(
            resident,
            campaign,
            source="phone",
            title="Something else",
            description="x y z",
        )


def test_author_edits_until_others_support_then_cannot(campaign, resident):
    idea = propose(resident, campaign)
    actions.do_edit_idea(
        resident, idea, title="Benches and shade", description="Now with trees."
    )
    idea.refresh_from_db()
    assert idea.title == "Benches and shade" and idea.edited_at is not None
    actions.do_support_idea(UserFactory(), idea)
    idea.refresh_from_db()
    with pytest.raises(actions.IdeaError, match="already supported or discussed"):
        actions.do_edit_idea(
            resident, idea, title="Something else entirely", description="x"
        )


def test_nobody_edits_or_withdraws_another_residents_idea(campaign, resident, client):
    idea = propose(resident, campaign)
    other = UserFactory()
    with pytest.raises(PermissionDenied):
        actions.do_edit_idea(other, idea, title="Hijacked title", description="x")
    with pytest.raises(PermissionDenied):
        actions.do_withdraw_idea(other, idea)
    client.force_login(other)
    assert client.get(f"/ideas/{idea.pk}/edit/").status_code == 403
    response = client.post(
        f"/ideas/{idea.pk}/edit/", {"title": "Hijacked!", "description": "x"}
    )
    assert response.status_code == 403
    idea.refresh_from_db()
    assert idea.title == "Benches in the market square"


def test_author_withdraws_and_the_idea_leaves_the_lists(campaign, resident, client):
    idea = propose(resident, campaign)
    actions.do_withdraw_idea(resident, idea)
    assert Idea.objects.get(pk=idea.pk).state == IdeaState.WITHDRAWN
    assert b"Benches in the market" not in client.get(campaign.url).content


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (50.0, 52.0, 48.0), 3: "E", 4: (4.0, 42.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_photo_location_metadata_is_stripped(campaign, resident, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    data = _jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    idea = propose(
        resident, campaign, photo=SimpleUploadedFile("me.jpg", data, "image/jpeg")
    )
    with Image.open(idea.photo.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info


def test_a_file_that_is_not_a_photo_is_refused(campaign, resident, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("photo.jpg", b"<?php echo 'hi'; ?>", "image/jpeg")
    with pytest.raises(actions.IdeaError, match="could not be read as a photo"):
        propose(resident, campaign, photo=fake)
    assert not Idea.objects.exists()


def test_propose_form_keeps_what_was_typed_on_errors(campaign, resident_client):
    response = resident_client.post(
        f"/ideas/campaign/{campaign.pk}/propose/",
        {"title": "Hi", "description": "", "lat": "91", "lon": "4.7"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "at least 5 characters" in page
    assert "Describe your idea" in page
    assert "less than or equal to 90" in page
    assert 'value="Hi"' in page


def test_only_lat_without_lon_is_refused(campaign, resident_client):
    response = resident_client.post(
        f"/ideas/campaign/{campaign.pk}/propose/",
        {"title": "A long enough title", "description": "Why", "lat": "50.1"},
    )
    assert "both latitude and longitude" in response.content.decode()


def test_rate_limit_stops_a_flood_of_ideas(campaign, resident):
    for n in range(5):
        propose(resident, campaign, title=f"Idea number {n} here")
    with pytest.raises(actions.IdeaError, match="wait a while"):
        propose(resident, campaign, title="One idea too many")
    assert Idea.objects.filter(author=resident).count() == 5


XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "{{ 7*7 }}",
]


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_in_every_text_field_are_inert(
    campaign, resident, client, payload
):
    idea = propose(
        resident,
        campaign,
        title=f"Title {payload}",
        description=f"Body {payload}",
        tags=[payload[:40]],
        address=f"Addr {payload}",
    )
    planner = PlannerFactory()
    actions.do_change_status(planner, idea, "accepted", f"Answer {payload}")
    for url in (campaign.url, idea.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert "<svg/onload" not in page
    if payload == "{{ 7*7 }}":
        assert (
            "49"
            not in client.get(idea.get_absolute_url())
            .content.decode()
            .split("Body")[1][:20]
        )
    data = client.get(f"/api/ideas/{idea.pk}/").json()
    assert (
        data["title"] == f"Title {payload}"
    )  # JSON carries text, escaped by consumers


def test_planner_records_a_phone_idea_through_the_form(campaign, client):
    resident = UserFactory(email="caller@example.org")
    client.force_login(PlannerFactory())
    response = client.post(
        f"/ideas/campaign/{campaign.pk}/record/",
        {
            "source": "phone",
            "resident_email": "caller@example.org",
            "title": "Fix the potholes on Mill Road",
            "description": "Called the city office on Monday.",
        },
    )
    idea = Idea.objects.get(title="Fix the potholes on Mill Road")
    assert (
        response.status_code == 302 and response["Location"] == idea.get_absolute_url()
    )
    assert (idea.source, idea.author) == ("phone", resident)
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "By phone" in page


def test_author_edits_through_the_form(campaign, resident, resident_client):
    idea = propose(resident, campaign)
    response = resident_client.post(
        f"/ideas/{idea.pk}/edit/",
        {"title": "Benches with backrests", "description": "Comfortable ones."},
    )
    assert response.status_code == 302
    assert Idea.objects.get(pk=idea.pk).title == "Benches with backrests"
