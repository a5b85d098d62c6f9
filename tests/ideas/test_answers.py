"""The city answers: author, supporters and followers hear it ("you said, we did"),
in the inbox and by e-mail when they asked for it; residents cannot answer."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from accounts.models import User
from forums.actions import do_reply
from ideas import actions
from ideas.models import Idea, IdeaState, OfficialResponse
from live.models import Event
from tests.factories import CityAdminFactory, PlannerFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(campaign):
    author = UserFactory()
    idea = actions.do_propose_idea(
        author,
        campaign,
        title="A playground in Lime Park",
        description="Swings and a sandpit.",
    )
    supporter = UserFactory(email_notifications=User.EmailNotifications.NEVER)
    follower = UserFactory()
    actions.do_support_idea(supporter, idea)
    actions.do_follow_idea(follower, idea)
    return idea, author, supporter, follower


def test_answer_reaches_author_supporters_and_followers(
    story, django_capture_on_commit_callbacks
):
    idea, author, supporter, follower = story
    planner = PlannerFactory()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_change_status(
            planner, idea, IdeaState.PLANNED, "Works start in May."
        )
    for person in (author, supporter, follower):
        note = person.notifications.get(kind="idea.status")
        assert "You said, we did" in note.text and "Works start in May." in note.text
        assert note.url == idea.get_absolute_url()
    # E-mail follows each person's choice: the supporter asked for none.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [author.email, follower.email]
    )
    assert not planner.notifications.exists()
    idea.refresh_from_db()
    assert idea.state == IdeaState.PLANNED and idea.answered_at is not None
    event = Event.objects.get(topic=f"idea.{idea.pk}", type="idea.status_changed")
    assert "Works start in May." in event.data["html"]
    assert event.data["list"] == f"idea.{idea.pk}:timeline"


def test_the_answer_shows_on_the_idea_timeline(story, client):
    idea, *_ = story
    actions.do_change_status(
        CityAdminFactory(), idea, IdeaState.ACCEPTED, "We agree: next year."
    )
    page = client.get(idea.get_absolute_url()).content.decode()
    assert "We agree: next year." in page and "Official answer from the city" in page


def test_not_selected_needs_a_reason(story):
    idea, *_ = story
    with pytest.raises(actions.IdeaError, match="Say why the idea was not selected"):
        actions.do_change_status(PlannerFactory(), idea, IdeaState.NOT_SELECTED, "  ")
    assert not OfficialResponse.objects.filter(idea=idea, by__isnull=False).exists()


def test_a_resident_cannot_answer(story, resident_client, resident):
    idea, *_ = story
    with pytest.raises(PermissionDenied):
        actions.do_change_status(
            resident, idea, IdeaState.ACCEPTED, "I accept my own idea"
        )
    response = resident_client.post(
        f"/ideas/{idea.pk}/answer/", {"state": "accepted", "text": "Accepted by me"}
    )
    assert response.status_code == 403
    assert Idea.objects.get(pk=idea.pk).state == IdeaState.PUBLISHED


def test_planner_answers_from_the_idea_page(story):
    from django.test import Client

    idea, author, *_ = story
    client = Client()
    client.force_login(PlannerFactory())
    response = client.post(
        f"/ideas/{idea.pk}/answer/",
        {"state": "accepted", "text": "Yes, we will."},
        follow=True,
    )
    assert "The answer is published" in response.content.decode()
    assert author.notifications.filter(kind="idea.status").exists()


def test_residents_comment_and_the_idea_counts_them(story, client):
    idea, author, supporter, _ = story
    idea.refresh_from_db()
    do_reply(supporter, idea.thread, "Yes please, with shade over the sandpit.")
    idea.refresh_from_db()
    assert idea.comment_count == 1
    assert (
        "with shade over the sandpit"
        in client.get(idea.get_absolute_url()).content.decode()
    )
    # The author hears of the comment through forums' host recipients.
    assert author.notifications.exists()
    with pytest.raises(actions.IdeaError, match="already supported or discussed"):
        actions.do_edit_idea(author, idea, title="Changed title here", description="x")


def test_comments_close_with_the_phase(resident):
    from forums.actions import DiscussionRefused

    campaign = make_campaign(phases=[("collecting", -10, -1), ("answered", -1, 30)])
    idea = Idea.objects.create(campaign=campaign, title="Old idea", description="x")
    from forums.actions import do_create_hosted_thread

    idea.thread = do_create_hosted_thread("idea", idea.pk, "Old idea")
    idea.save()
    with pytest.raises(DiscussionRefused, match="discussion is closed"):
        do_reply(resident, idea.thread, "Too late to say this")


def test_follow_and_unfollow_a_campaign_and_an_idea(story, resident):
    idea, *_ = story
    assert actions.do_follow_campaign(resident, idea.campaign) is True
    assert actions.do_follow_campaign(resident, idea.campaign) is False
    assert actions.do_unfollow_campaign(resident, idea.campaign) is True
    assert actions.do_follow_idea(resident, idea) is True
    assert actions.do_unfollow_idea(resident, idea) is True
    actions.do_change_status(PlannerFactory(), idea, IdeaState.ACCEPTED, "Accepted")
    assert not resident.notifications.exists()
