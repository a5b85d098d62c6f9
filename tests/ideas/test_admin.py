"""Staff answer many ideas at once from the Wagtail admin list of ideas."""

import pytest

from ideas import actions
from ideas.models import Idea, IdeaState
from tests.factories import PlannerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_planner_filters_ideas_and_bulk_answers_them(client, campaign):
    authors = [UserFactory() for _ in range(3)]
    ideas = [
        actions.do_propose_idea(
            a, campaign, title=f"Bench number {n} please", description="x"
        )
        for n, a in enumerate(authors)
    ]
    client.force_login(PlannerFactory())
    listing = client.get(
        "/admin/snippets/ideas/idea/", {"campaign": campaign.pk, "state": "published"}
    )
    assert (
        listing.status_code == 200
        and "Bench number 0 please" in listing.content.decode()
    )
    url = "/admin/bulk/ideas/idea/answer/?" + "&".join(f"id={i.pk}" for i in ideas[:2])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"state": "not_selected", "text": "The budget went to schools."}
    )
    assert response.status_code == 302
    states = dict(Idea.objects.values_list("pk", "state"))
    assert states[ideas[0].pk] == states[ideas[1].pk] == IdeaState.NOT_SELECTED
    assert states[ideas[2].pk] == IdeaState.PUBLISHED
    assert authors[0].notifications.filter(kind="idea.status").count() == 1


def test_residents_cannot_reach_the_bulk_answer(resident_client, campaign, resident):
    idea = actions.do_propose_idea(
        resident, campaign, title="My own bench idea", description="x"
    )
    resident_client.post(
        f"/admin/bulk/ideas/idea/answer/?id={idea.pk}",
        {"state": "accepted", "text": "Self-accepted"},
    )
    assert Idea.objects.get(pk=idea.pk).state == IdeaState.PUBLISHED


def test_staff_search_the_ideas_and_the_admin_makes_none(client, campaign):
    """An idea is made only by ideas.actions; the admin's listing finds ideas by
    their words (it once failed on SQLite for any search) and offers no Add."""
    from tests.factories import UserFactory as People

    actions.do_propose_idea(
        People(), campaign, title="Fountain by the gate", description="Cold water."
    )
    actions.do_propose_idea(People(), campaign, title="Benches", description="Rest.")
    client.force_login(People(is_superuser=True, is_staff=True))
    found = client.get("/admin/snippets/ideas/idea/", {"q": "water"})
    assert found.status_code == 200
    html = found.content.decode()
    assert "Fountain by the gate" in html and "Benches" not in html
    # A query with no words left finds nothing, and says so (no 500).
    nothing = client.get("/admin/snippets/ideas/idea/", {"q": '"'})
    assert nothing.status_code == 200
    assert "Fountain by the gate" not in nothing.content.decode()

    before = Idea.objects.count()
    assert client.post(
        "/admin/snippets/ideas/idea/add/", {"title": "x"}
    ).status_code in {
        302,
        403,
    }
    # The chooser has no creation form: its "create" URL names nothing.
    for model in ("idea", "department", "meeting"):
        response = client.post(f"/admin/snippets/choose/ideas/{model}/create/", {})
        assert response.status_code in {403, 404}
    assert Idea.objects.count() == before
