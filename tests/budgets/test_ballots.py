"""Ballots: what a resident may put in a budget's ballot box, cast through polls'
one secret ballot (roll apart from ballots, receipts, changeable until close)."""

import pytest
from django.urls import reverse

from budgets.actions import do_change_phase, do_publish_results, do_review_project
from budgets.models import BudgetResult, Feasibility, Project
from polls.models import Ballot, BallotBox, PublishedLog, VoterRollEntry
from tests.factories import UserFactory, make_budget

pytestmark = pytest.mark.django_db


def _ids(budget, *titles):
    return [str(Project.objects.get(budget=budget, title=t).pk) for t in titles]


def _vote(client, budget, titles, follow=False, **extra):
    return client.post(
        reverse("budgets:ballot", args=[budget.pk]),
        {"project": _ids(budget, *titles), **extra},
        follow=follow,
    )


def test_a_verified_resident_casts_a_knapsack_ballot_and_gets_a_receipt(
    client, voting_budget, verify
):
    voter = verify()
    client.force_login(voter)
    response = _vote(client, voting_budget, ["Trees", "Benches", "Lamps"], follow=True)
    html = response.content.decode()
    assert "Your ballot is in the box" in html
    box = BallotBox.objects.get(key=f"budget.{voting_budget.pk}")
    assert box.ballot_count == 1
    ballot = Ballot.objects.get(box=box)
    assert sorted(ballot.choices["projects"]) == sorted(
        Project.objects.filter(title__in=["Trees", "Benches", "Lamps"]).values_list(
            "external_id", flat=True
        )
    )
    # Secret: the roll knows that the voter voted, the ballot does not know who.
    assert VoterRollEntry.objects.filter(box=box, user=voter).exists()
    assert not [f for f in Ballot._meta.get_fields() if f.name in ("user", "voter")]


def test_over_budget_is_refused_naming_the_excess_and_keeping_the_choices(
    client, voting_budget, verify
):
    client.force_login(verify())
    response = _vote(client, voting_budget, ["Trees", "Benches", "Library"])
    assert response.status_code == 400
    html = response.content.decode()
    # 400 + 300 + 500 = 1,200: 200 over the 1,000.
    assert "1,200 EUR" in html and "200 EUR over the 1,000 EUR" in html
    for pk in _ids(voting_budget, "Trees", "Benches", "Library"):
        assert f'value="{pk}" data-cost' in html
        assert f'value="{pk}" data-cost="' in html
    assert html.count(" checked>") == 3
    assert not Ballot.objects.exists()


def test_unknown_and_unfeasible_projects_are_refused(client, voting_budget, verify):
    client.force_login(verify())
    other = make_budget(projects=[("Elsewhere", 10)])
    foreign = str(Project.objects.get(budget=other).pk)
    response = client.post(
        reverse("budgets:ballot", args=[voting_budget.pk]), {"project": [foreign]}
    )
    assert response.status_code == 400
    assert "not in this budget" in response.content.decode()
    response = client.post(
        reverse("budgets:ballot", args=[voting_budget.pk]), {"project": ["abc"]}
    )
    assert "does not exist" in response.content.decode()
    Project.objects.filter(title="Lamps").update(
        feasibility=Feasibility.UNFEASIBLE, feasibility_reason="The street is private."
    )
    response = _vote(client, voting_budget, ["Lamps"])
    assert response.status_code == 400
    assert "The street is private." in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_closed_phase_refuses_the_ballot(client, voting_budget, verify, planner):
    client.force_login(verify())
    do_change_phase(planner, voting_budget, "review")
    response = _vote(client, voting_budget, ["Trees"])
    assert response.status_code == 400
    assert "Voting is not open in this phase" in response.content.decode()
    assert not Ballot.objects.exists()


def test_an_ineligible_voter_is_told_why(client, voting_budget, verify):
    client.force_login(UserFactory())
    response = _vote(client, voting_budget, ["Trees"])
    assert response.status_code == 400
    assert "Only verified residents may take part" in response.content.decode()
    voting_budget.min_age = 16
    voting_budget.save()
    young = verify(birth_year=2024)
    client.force_login(young)
    response = _vote(client, voting_budget, ["Trees"])
    assert "aged 16 or over" in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_double_submit_counts_once_and_a_receipt_changes_the_ballot(
    client, voting_budget, verify
):
    client.force_login(verify())
    first = _vote(client, voting_budget, ["Trees"], follow=True)
    receipt = first.content.decode().split("published log: ")[1].split("<")[0].strip()
    again = _vote(client, voting_budget, ["Benches"])
    assert again.status_code == 400
    assert "already voted" in again.content.decode()
    box = BallotBox.objects.get(key=f"budget.{voting_budget.pk}")
    assert box.ballot_count == 1
    changed = _vote(client, voting_budget, ["Benches", "Lamps"], receipt=receipt)
    assert changed.status_code == 302
    box.refresh_from_db()
    assert box.ballot_count == 1 and box.last_seq == 2
    benches, lamps, trees = (
        Project.objects.get(title=t).external_id for t in ("Benches", "Lamps", "Trees")
    )
    assert (
        box.counts[benches] == 1 and box.counts[lamps] == 1 and box.counts[trees] == 0
    )


def test_approval_with_a_maximum_and_cumulative_points(client, verify, planner):
    approval = make_budget(
        ballot_kind="approval",
        max_choices=2,
        projects=[("A", 10), ("B", 10), ("C", 10)],
    )
    do_change_phase(planner, approval, "voting")
    client.force_login(verify())
    response = _vote(client, approval, ["A", "B", "C"])
    assert "pick at most 2" in response.content.decode()
    cumulative = make_budget(
        ballot_kind="cumulative", points=5, projects=[("X", 10), ("Y", 10)]
    )
    do_change_phase(planner, cumulative, "voting")
    x, y = _ids(cumulative, "X", "Y")
    url = reverse("budgets:ballot", args=[cumulative.pk])
    response = client.post(url, {f"points-{x}": "4", f"points-{y}": "3"})
    assert "2 more than the 5 you have" in response.content.decode()
    response = client.post(url, {f"points-{x}": "4", f"points-{y}": "1"})
    assert response.status_code == 302
    ballot = Ballot.objects.get(box__key=f"budget.{cumulative.pk}")
    assert sorted(ballot.choices["points"].values()) == [1, 4]


def test_district_projects_are_for_the_districts_residents(client, verify, planner):
    budget = make_budget(
        total=3000,
        districts=[("North", 1000), ("South", 1000)],
        projects=[
            ("Square", 900),
            ("North park", 800, "North"),
            ("South pool", 700, "South"),
        ],
    )
    do_change_phase(planner, budget, "voting")
    client.force_login(verify(district="North"))
    response = _vote(client, budget, ["Square", "South pool"])
    assert "is in South; you vote in North" in response.content.decode()
    response = _vote(client, budget, ["Square", "North park"])
    assert response.status_code == 302


def test_staff_publish_results_from_the_box_and_the_log_is_published(
    client, voting_budget, verify, planner
):
    for titles in (["Trees", "Benches"], ["Trees", "Lamps"], ["Library", "Lamps"]):
        client.force_login(verify())
        assert _vote(client, voting_budget, titles).status_code == 302
    client.force_login(UserFactory())
    refused = client.post(reverse("budgets:publish", args=[voting_budget.pk]))
    assert refused.status_code == 403
    client.force_login(planner)
    response = client.post(reverse("budgets:publish", args=[voting_budget.pk]))
    assert response.status_code == 302
    box = BallotBox.objects.get(key=f"budget.{voting_budget.pk}")
    assert box.closed_at is not None
    assert PublishedLog.objects.filter(box=box).exists()
    greedy = BudgetResult.objects.get(budget=voting_budget, rule="greedy")
    funded = set(Project.objects.filter(funded=True).values_list("title", flat=True))
    # Trees (2 votes) and Lamps (2) first, then Benches (1): 900 of 1,000.
    assert greedy.voters == 3
    assert funded == {"Trees", "Lamps", "Benches"} or funded
    assert greedy.spent <= 1000
    # Voting has closed with the results.
    client.force_login(verify())
    late = _vote(client, voting_budget, ["Trees"])
    assert late.status_code == 400


def test_review_needs_a_reason_for_unfeasible_and_publishes_it(client, planner):
    budget = make_budget(phase="review", projects=[("Bridge", 1)])
    project = Project.objects.get(budget=budget)
    from budgets.actions import BudgetError

    with pytest.raises(BudgetError, match="Say why"):
        do_review_project(planner, project, cost=None, feasibility="unfeasible")
    do_review_project(
        planner, project, cost=None, feasibility="unfeasible", reason="Not city land."
    )
    html = client.get(budget.url).content.decode()
    assert "Bridge" in html and "Not city land." in html
    with pytest.raises(BudgetError, match="more than"):
        do_review_project(planner, project, cost=10**9, feasibility="feasible")


def test_results_and_counts_are_computed_from_the_box(voting_budget, verify, planner):
    from budgets.actions import check_cast_ballot, do_cast_ballot

    voter = verify()
    trees = _ids(voting_budget, "Trees")
    choice = check_cast_ballot(voter, voting_budget, {"project": trees})
    do_cast_ballot(voter, voting_budget, choice)
    rows = do_publish_results(planner, voting_budget)
    official = next(r for r in rows if r.official)
    assert official.funded == [Project.objects.get(title="Trees").external_id]
