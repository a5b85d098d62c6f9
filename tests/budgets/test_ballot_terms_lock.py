"""From the first ballot on, what a budget's ballots were checked and are counted
against is fixed: projects' costs and verdicts, the money, the districts, the kind
of ballot. Staff are told why, in the actions and in the Wagtail editor."""

import pytest
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from budgets.actions import (
    BudgetError,
    check_cast_ballot,
    do_cast_ballot,
    do_change_phase,
    do_review_project,
)
from budgets.models import BudgetPage, District, Project
from tests.factories import CityAdminFactory, make_budget

pytestmark = pytest.mark.django_db

LOCKED = "Voting has started (1 ballot cast)"


def cast_one(budget, verify):
    voter = verify()
    trees = Project.objects.get(budget=budget, title="Trees")
    choice = check_cast_ballot(voter, budget, {"project": [str(trees.pk)]})
    return do_cast_ballot(voter, budget, choice)


def test_once_a_ballot_is_cast_costs_cannot_be_reviewed_again(
    voting_budget, verify, planner
):
    cast_one(voting_budget, verify)
    trees = Project.objects.get(budget=voting_budget, title="Trees")
    with pytest.raises(BudgetError, match="cannot go back to proposing or review"):
        do_change_phase(planner, voting_budget, "review")
    # Even if the phase were moved back by a path that skips the action (the page
    # editor before this rule, a database fix), the review refuses.
    BudgetPage.objects.filter(pk=voting_budget.pk).update(phase="review")
    budget = BudgetPage.objects.get(pk=voting_budget.pk)
    trees = Project.objects.get(pk=trees.pk)
    with pytest.raises(BudgetError, match="can no longer change"):
        do_review_project(planner, trees, cost=1, feasibility="feasible")
    assert Project.objects.get(pk=trees.pk).cost == 400
    assert budget.phase == "review"


def test_before_any_ballot_voting_opened_by_mistake_can_go_back_to_review(
    voting_budget, planner
):
    budget = do_change_phase(planner, voting_budget, "review")
    trees = Project.objects.get(budget=budget, title="Trees")
    do_review_project(planner, trees, cost=450, feasibility="feasible")
    assert Project.objects.get(pk=trees.pk).cost == 450


def editor_post(client, budget, *, districts=(), **changes):
    fields = {
        "title": budget.title,
        "slug": budget.slug,
        "intro": budget.intro,
        "total": budget.total,
        "currency": budget.currency,
        "phase": budget.phase,
        "ballot_kind": budget.ballot_kind,
        "max_choices": budget.max_choices or "",
        "points": budget.points,
        "rule": budget.rule,
        "verified_only": "on" if budget.verified_only else "",
        "map_zoom": budget.map_zoom,
        "districts": inline_formset(list(districts), initial=len(districts)),
        "action-publish": "action-publish",
    }
    fields.update(changes)
    if not fields["verified_only"]:
        del fields["verified_only"]
    return client.post(f"/admin/pages/{budget.pk}/edit/", nested_form_data(fields))


@pytest.fixture
def admin_client(client):
    client.force_login(CityAdminFactory())
    return client


@pytest.mark.parametrize(
    "change", [{"total": 2000}, {"phase": "review"}, {"ballot_kind": "approval"}]
)
def test_the_editor_refuses_to_change_what_ballots_depend_on(
    admin_client, voting_budget, verify, change
):
    before = admin_client.get(f"/admin/pages/{voting_budget.pk}/edit/")
    assert LOCKED not in before.content.decode()
    cast_one(voting_budget, verify)
    editor = admin_client.get(f"/admin/pages/{voting_budget.pk}/edit/")
    assert LOCKED in editor.content.decode()
    response = editor_post(admin_client, voting_budget, **change)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The page could not be saved" in html and LOCKED in html
    stored = BudgetPage.objects.get(pk=voting_budget.pk)
    assert (stored.total, stored.phase, stored.ballot_kind) == (
        1000,
        "voting",
        "knapsack",
    )


def test_the_editor_refuses_to_change_a_districts_money_but_not_the_intro(
    admin_client, verify, planner
):
    budget = make_budget(
        total=3000,
        districts=[("North", 1000)],
        projects=[("Trees", 400)],
        verified_only=True,
    )
    do_change_phase(planner, budget, "voting")
    cast_one(budget, verify)
    north = District.objects.get(budget=budget)
    row = {"id": north.pk, "name": "North", "amount": 1000, "ORDER": 1}
    refused = editor_post(admin_client, budget, districts=[{**row, "amount": 5000}])
    assert refused.status_code == 200
    assert LOCKED in refused.content.decode()
    assert District.objects.get(pk=north.pk).amount == 1000
    accepted = editor_post(
        admin_client, budget, districts=[row], intro="Vote for your district."
    )
    assert accepted.status_code == 302
    assert BudgetPage.objects.get(pk=budget.pk).intro == "Vote for your district."
