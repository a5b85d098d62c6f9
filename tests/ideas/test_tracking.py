"""Implementation tracking: a planner carries an accepted idea through to the end,
supporters and followers hear of each step, the public results page shows it; a
second kind of tracked thing (as budgets registers) uses the same mechanism."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Notification, User
from ideas import actions
from ideas.models import Implementation, ImplementationStatus, ProgressUpdate
from ideas.tracking import register_tracked_kind
from live.models import Event
from tests.factories import PlannerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _photo_with_gps() -> SimpleUploadedFile:
    image = Image.new("RGB", (40, 30), "green")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (50.0, 52.0, 48.0), 3: "E", 4: (4.0, 42.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def accepted(campaign):
    author = UserFactory()
    idea = actions.do_propose_idea(
        author,
        campaign,
        title="Benches along the canal",
        description="Somewhere to sit.",
        lat=50.85,
        lon=4.35,
    )
    supporter = UserFactory(email_notifications=User.EmailNotifications.NEVER)
    actions.do_support_idea(supporter, idea)
    planner = PlannerFactory()
    actions.do_change_status(planner, idea, "accepted", "We will build them.")
    impl = Implementation.objects.get(subject_kind="idea", subject_id=idea.pk)
    return idea, impl, planner, supporter, author


def test_accepting_an_idea_opens_its_implementation_record(accepted, campaign):
    idea, impl, *_ = accepted
    assert impl.scope == f"campaign.{campaign.pk}"
    assert impl.status == ImplementationStatus.PLANNED and impl.progress == 0
    assert (impl.lat, impl.lon) == (50.85, 4.35)
    assert impl.get_absolute_url() == idea.get_absolute_url()
    # The idea's state moves the record: implemented means completed, 100 %.
    actions.do_change_status(accepted[2], idea, "implemented", "Done.")
    impl.refresh_from_db()
    assert impl.status == ImplementationStatus.COMPLETED and impl.progress == 100
    assert Implementation.objects.count() == 1


def test_planner_posts_progress_and_the_supporter_is_told(
    accepted, django_capture_on_commit_callbacks
):
    idea, impl, planner, supporter, author = accepted
    with django_capture_on_commit_callbacks(execute=True):
        update = actions.do_post_progress(
            planner,
            impl,
            text="The first six benches are in.",
            progress=40,
            status="in_progress",
            spent="12000.50",
            photo=_photo_with_gps(),
        )
        actions.do_post_progress(planner, impl, text="Six more.", spent=Decimal(3000))
    impl.refresh_from_db()
    assert impl.progress == 40 and impl.status == "in_progress"
    assert impl.spent_amount == Decimal("15000.50") and impl.update_count == 2
    for person in (supporter, author):
        note = Notification.objects.filter(
            recipient=person, kind="tracking.update"
        ).first()
        assert note is not None and "40% done" in note.text
        assert note.url == idea.get_absolute_url()
    assert not Notification.objects.filter(
        recipient=planner, kind="tracking.update"
    ).exists()
    # The photo is re-encoded: the GPS position of the phone is gone.
    with Image.open(update.photo.open("rb")) as stored:
        assert not stored.getexif()
    event = Event.objects.filter(
        topic=f"implementation.{impl.pk}", type="implementation.updated"
    ).first()
    assert event.data["counts"] == {"progress": 40}
    assert "The first six benches are in." in event.data["html"]
    assert Event.objects.filter(
        topic=impl.scope, type="implementation.updated"
    ).exists()


def test_only_responsible_staff_post_progress_and_bad_input_is_explained(accepted):
    _idea, impl, planner, supporter, _author = accepted
    with pytest.raises(PermissionDenied):
        actions.do_post_progress(supporter, impl, text="I did it myself")
    with pytest.raises(actions.IdeaError, match="0 to 100"):
        actions.do_post_progress(planner, impl, text="x", progress=150)
    with pytest.raises(actions.IdeaError, match="amount"):
        actions.do_post_progress(planner, impl, text="x", spent="lots")
    with pytest.raises(actions.IdeaError, match="amount between"):
        actions.do_post_progress(planner, impl, text="x", spent="-5")
    with pytest.raises(actions.IdeaError, match="Please fill in"):
        actions.do_post_progress(planner, impl, text="   ")
    assert not ProgressUpdate.objects.exists()


def test_milestones_have_dates(accepted):
    _idea, impl, planner, supporter, _author = accepted
    m = actions.do_add_milestone(planner, impl, "Order benches", date(2026, 3, 1))
    actions.do_complete_milestone(planner, m, date(2026, 2, 20))
    m.refresh_from_db()
    assert m.done_on == date(2026, 2, 20)
    with pytest.raises(actions.IdeaError, match="planned date"):
        actions.do_add_milestone(planner, impl, "Paint", None)
    with pytest.raises(PermissionDenied):
        actions.do_add_milestone(supporter, impl, "Paint", date(2026, 4, 1))


def test_another_app_plugs_in_its_own_kind(django_capture_on_commit_callbacks):
    """What budgets does for funded projects: register a kind, start, post."""
    treasurer = UserFactory()
    follower = UserFactory()
    register_tracked_kind(
        "test_project",
        label="project",
        can_read=lambda user, pk: True,
        can_manage=lambda user, pk: user.pk == treasurer.pk,
        url=lambda pk: f"/budgets/project/{pk}/",
        followers=lambda pk: [follower],
    )
    impl = actions.do_start_tracking(
        "test_project", 7, title="Green roof", scope="budget.3", budget_amount=50000
    )
    again = actions.do_start_tracking(
        "test_project", 7, title="Green roof (school)", scope="budget.3"
    )
    assert again.pk == impl.pk and again.title == "Green roof (school)"
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_post_progress(
            treasurer, impl, text="Done", status="completed", spent=48000
        )
    impl.refresh_from_db()
    assert impl.progress == 100 and impl.budget_amount == Decimal(50000)
    assert Notification.objects.get(recipient=follower).url == "/budgets/project/7/"
    with pytest.raises(LookupError):
        actions.do_start_tracking("nobody", 1, title="x", scope="y")


def test_results_page_filters_by_status_with_fixed_queries(
    client, campaign, accepted, django_assert_max_num_queries
):
    _idea, impl, planner, *_ = accepted
    for n in range(25):
        other = actions.do_record_idea(
            planner,
            campaign,
            source="meeting",
            title=f"Recorded idea {n}",
            description="From the hall.",
            lat=50.8,
            lon=4.3,
        )
        actions.do_change_status(
            planner, other, "in_progress" if n % 2 else "accepted", "Yes."
        )
    url = f"/ideas/campaign/{campaign.pk}/results/"
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "Benches along the canal" in page and "results-map-points" in page
    assert "Page 1 of 2" in page
    with django_assert_max_num_queries(12):
        filtered = client.get(url + "?status=in_progress").content.decode()
    assert "Benches along the canal" not in filtered
    assert filtered.count('class="implementation"') == 12
    assert client.get(url + "?status=bogus&page=x").status_code == 200


def test_progress_form_over_http(client, accepted):
    idea, impl, planner, supporter, _author = accepted
    url = f"/ideas/implementation/{impl.pk}/progress/"
    client.force_login(supporter)
    assert client.post(url, {"text": "hi"}).status_code == 403
    client.force_login(planner)
    response = client.post(url, {"text": "Works started", "progress": "10"})
    assert response.status_code == 302
    assert response["Location"].startswith(idea.get_absolute_url())
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "Works started" in page and f"implementation.{impl.pk}" in page
    bad = client.post(url, {"text": "x", "progress": "900"}, follow=True)
    assert "less than or equal to 100" in bad.content.decode()
