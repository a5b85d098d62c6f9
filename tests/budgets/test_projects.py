"""Projects: residents propose, ideas become projects (their supporters told), staff
review; funded projects are carried out through ideas' one tracking mechanism; pages
and live events."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from budgets.actions import (
    BudgetError,
    do_change_phase,
    do_convert_idea,
    do_follow_project,
    do_propose_project,
    do_publish_results,
    do_review_project,
)
from budgets.models import Feasibility, Project
from budgets.tracking import TRACKED_KIND
from ideas.actions import do_post_progress, do_support_idea
from ideas.models import Implementation
from live.models import Event
from tests.factories import IdeaFactory, UserFactory, make_budget

pytestmark = pytest.mark.django_db


def test_a_resident_proposes_and_staff_review_with_a_published_reason(
    resident_client, resident, planner
):
    budget = make_budget(categories="Green,Streets", theme="Green projects only")
    response = resident_client.get(reverse("budgets:propose", args=[budget.pk]))
    assert "Green projects only" in response.content.decode()
    response = resident_client.post(
        reverse("budgets:propose", args=[budget.pk]),
        {
            "title": "Rain garden",
            "description": "Plants that drink the rain.",
            "category": "Green",
            "lat": "50.0",
            "lon": "20.0",
        },
    )
    project = Project.objects.get(title="Rain garden")
    assert response.status_code == 302
    assert project.author == resident and project.feasibility == Feasibility.PENDING
    assert project.is_located
    do_review_project(planner, project, cost=25_000, feasibility="feasible")
    project.refresh_from_db()
    assert project.cost == 25_000
    assert Notification.objects.filter(
        recipient=resident, kind="budget_review"
    ).exists()
    page = resident_client.get(project.get_absolute_url()).content.decode()
    assert "25,000 EUR" in page and "Feasible" in page


def test_proposing_is_refused_outside_its_phase_and_with_bad_input(resident, planner):
    budget = make_budget(categories="Green")
    with pytest.raises(BudgetError, match="Give the project a title"):
        do_propose_project(resident, budget, title=" ", description="x")
    with pytest.raises(BudgetError, match="categories this budget offers"):
        do_propose_project(
            resident, budget, title="A", description="x", category="Cars"
        )
    do_change_phase(planner, budget, "voting")
    with pytest.raises(BudgetError, match="not being proposed"):
        do_propose_project(resident, budget, title="A", description="x")
    assert not Project.objects.filter(budget=budget).exists()


def test_an_idea_becomes_a_project_and_its_supporters_are_told(planner):
    idea = IdeaFactory()
    supporter = UserFactory()
    do_support_idea(supporter, idea)
    budget = make_budget()
    project = do_convert_idea(planner, budget, idea)
    assert project.source_idea == idea and project.title == idea.title
    assert idea.budget_project == project
    for person in (supporter, idea.author):
        line = Notification.objects.get(recipient=person, kind="budget_project")
        assert project.get_absolute_url() in line.url
    with pytest.raises(BudgetError, match="already a project"):
        do_convert_idea(planner, budget, idea)
    html = planner_client_html(project)
    assert idea.title in html


def planner_client_html(project):
    from django.test import Client

    return Client().get(project.get_absolute_url()).content.decode()


def test_a_resident_cannot_convert_ideas_or_review(resident_client):
    budget = make_budget(projects=[("A", 10)])
    idea = IdeaFactory()
    response = resident_client.post(
        reverse("budgets:convert", args=[budget.pk]), {"idea": idea.pk}
    )
    assert response.status_code == 403
    project = Project.objects.get(budget=budget)
    response = resident_client.post(
        reverse("budgets:review", args=[project.pk]),
        {"feasibility": "unfeasible", "reason": "no"},
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.feasibility == Feasibility.FEASIBLE


def test_funded_projects_are_tracked_and_followers_hear_of_progress(
    planner, verify, django_capture_on_commit_callbacks
):
    from budgets.actions import check_cast_ballot, do_cast_ballot

    budget = make_budget(total=1000, projects=[("Fountain", 600), ("Stage", 600)])
    do_change_phase(planner, budget, "voting")
    voter = verify()
    fountain = Project.objects.get(title="Fountain")
    do_cast_ballot(
        voter, budget, check_cast_ballot(voter, budget, {"project": [str(fountain.pk)]})
    )
    follower = UserFactory()
    do_follow_project(follower, fountain)
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_results(planner, budget)
    impl = Implementation.objects.get(subject_kind=TRACKED_KIND, subject_id=fountain.pk)
    assert impl.scope == f"budget.{budget.pk}"
    assert not Implementation.objects.filter(
        subject_kind=TRACKED_KIND, subject_id=Project.objects.get(title="Stage").pk
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        do_post_progress(
            planner, impl, text="Foundations poured.", progress=30, spent=12000
        )
    line = Notification.objects.get(recipient=follower, kind="tracking.update")
    assert "Fountain" in line.text or "Foundations" in line.text
    assert Event.objects.filter(topic=f"implementation.{impl.pk}").exists()
    # The budget page shows it carried out, on its map and list.
    from django.test import Client

    html = Client().get(budget.url).content.decode()
    assert "Funded projects, carried out" in html and "Fountain" in html


def test_publishing_results_emits_the_live_results(
    planner, verify, django_capture_on_commit_callbacks
):
    budget = make_budget(projects=[("A", 10)])
    do_change_phase(planner, budget, "voting")
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_results(planner, budget)
    event = Event.objects.get(
        topic=f"budget.{budget.pk}", type="budget.results_published"
    )
    assert event.data["dom_id"] == f"budget-results-{budget.pk}"
    assert "Results" in event.data["html"]


def test_public_vote_counts_go_live_with_each_ballot(planner, verify):
    from budgets.actions import check_cast_ballot, do_cast_ballot

    budget = make_budget(counts_public=True, projects=[("A", 10), ("B", 10)])
    do_change_phase(planner, budget, "voting")
    a = Project.objects.get(title="A")
    voter = verify()
    do_cast_ballot(
        voter, budget, check_cast_ballot(voter, budget, {"project": [str(a.pk)]})
    )
    event = Event.objects.filter(
        topic=f"budget.{budget.pk}", type="budget.counts"
    ).last()
    assert event.data["counts"][f"votes.{a.pk}"] == 1


def test_the_budget_page_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, planner
):
    small = make_budget(projects=[(f"P{i}", 10) for i in range(3)])
    large = make_budget(projects=[(f"Q{i}", 10) for i in range(60)])
    for budget in (small, large):
        do_change_phase(planner, budget, "voting")
    client.force_login(UserFactory())
    with django_assert_max_num_queries(30):
        assert client.get(small.url).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(large.url).status_code == 200
