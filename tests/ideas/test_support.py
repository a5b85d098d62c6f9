"""Supports and votes: once per resident, changeable while the phase allows, exact
under concurrency; crossing the threshold sends the idea to review."""

import threading

import pytest
from django.db import close_old_connections, connection

from accounts.roles import Role
from ideas import actions
from ideas.models import Idea, IdeaState, OfficialResponse, Support, Vote
from live.models import Event
from tests.factories import IdeaFactory, PlannerFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db


def new_idea(campaign, **kw):
    return actions.do_propose_idea(
        UserFactory(),
        campaign,
        title="Trees on Station Street",
        description="Shade for the walk from the station.",
        **kw,
    )


def test_support_once_and_take_it_back(campaign, resident):
    idea = new_idea(campaign)
    assert actions.do_support_idea(resident, idea) is True
    assert actions.do_support_idea(resident, idea) is False  # a double click
    idea.refresh_from_db()
    assert idea.support_count == 1 == Support.objects.filter(idea=idea).count()
    event = Event.objects.filter(topic=f"idea.{idea.pk}", type="idea.supported").last()
    assert event.data["counts"]["supports"] == 1
    on_campaign = Event.objects.filter(
        topic=f"campaign.{campaign.pk}", type="idea.supported"
    ).last()
    assert on_campaign.data["counts"][f"supports.{idea.pk}"] == 1
    assert actions.do_unsupport_idea(resident, idea) is True
    idea.refresh_from_db()
    assert idea.support_count == 0


def test_vote_and_change_ones_mind_while_the_phase_allows():
    campaign = make_campaign(voting_mode="agree_disagree")
    idea = new_idea(campaign)
    voter = UserFactory()
    actions.do_vote_idea(voter, idea, 1)
    actions.do_vote_idea(voter, idea, -1)
    actions.do_vote_idea(UserFactory(), idea, 0)
    idea.refresh_from_db()
    assert (idea.agree_count, idea.disagree_count, idea.pass_count) == (0, 1, 1)
    assert Vote.objects.filter(idea=idea).count() == 2
    assert Event.objects.filter(topic=f"idea.{idea.pk}", type="idea.voted").exists()
    with pytest.raises(actions.IdeaError, match="vote agree, disagree or pass instead"):
        actions.do_support_idea(voter, idea)


def test_threshold_sends_the_idea_to_review_and_tells_planners():
    campaign = make_campaign(support_threshold=3)
    planner = PlannerFactory()
    idea = new_idea(campaign)
    for _ in range(3):
        actions.do_support_idea(UserFactory(), idea)
    actions.do_support_idea(UserFactory(), idea)  # past the threshold: no second move
    idea.refresh_from_db()
    assert idea.state == IdeaState.UNDER_REVIEW and idea.review_started_at
    assert (
        OfficialResponse.objects.filter(idea=idea, to_state="under_review").count() == 1
    )
    assert planner.notifications.filter(kind="idea.review").count() == 1
    assert (
        Event.objects.filter(
            topic=f"idea.{idea.pk}", type="idea.status_changed"
        ).count()
        == 1
    )


def test_support_is_closed_outside_the_phases_that_open_it(resident):
    campaign = make_campaign(phases=[("collecting", -10, -5), ("reviewing", -5, 10)])
    idea = IdeaFactory(campaign=campaign)
    with pytest.raises(actions.IdeaError, match="Supporting and voting are closed"):
        actions.do_support_idea(resident, idea)
    assert Idea.objects.get(pk=idea.pk).support_count == 0


def test_a_resident_cannot_support_through_the_page_in_a_closed_phase(resident_client):
    campaign = make_campaign(phases=[("closed", -5, 10)])
    idea = IdeaFactory(campaign=campaign)
    response = resident_client.post(f"/ideas/{idea.pk}/support/", follow=True)
    assert "Supporting and voting are closed" in response.content.decode()
    assert not Support.objects.exists()


def test_anonymous_support_goes_to_login(client, campaign):
    idea = new_idea(campaign)
    response = client.post(f"/ideas/{idea.pk}/support/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "Log in to take part" in client.get(idea.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_supports_are_never_lost_or_doubled():
    """Twelve residents (and each of them twice) click at once, each on its own
    connection; the count equals the rows. Runs on SQLite and PostgreSQL."""
    campaign = make_campaign(support_threshold=10)
    idea = new_idea(campaign)
    Role  # noqa: B018 - planners are notified at the threshold; none needed here
    people = [UserFactory() for _ in range(12)]
    barrier = threading.Barrier(len(people) * 2)
    errors = []

    def click(user):
        try:
            fresh = Idea.objects.select_related("campaign").get(pk=idea.pk)
            barrier.wait(timeout=20)
            actions.do_support_idea(user, fresh)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=click, args=(u,)) for u in people for _ in (1, 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    assert errors == []
    idea.refresh_from_db()
    assert idea.support_count == 12 == Support.objects.filter(idea=idea).count()
    assert idea.state == IdeaState.UNDER_REVIEW
    assert OfficialResponse.objects.filter(idea=idea).count() == 1


def test_an_author_cannot_support_their_own_idea(campaign):
    from ideas import actions as idea_actions

    author = UserFactory()
    idea = IdeaFactory(campaign=campaign, author=author)
    with pytest.raises(idea_actions.IdeaError, match="You proposed this idea"):
        idea_actions.do_support_idea(author, idea)
    idea.refresh_from_db()
    assert idea.support_count == 0
    assert idea_actions.do_support_idea(UserFactory(), idea) is True
