"""Reports over time: what grew, what is new, ideas placed between runs, opinion
groups from votes, stakeholder groups, and the nightly / closing schedule."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ideas.models import Vote
from insights import actions
from insights.models import IdeaAssignment, InsightReport, ReportStatus
from insights.runner import voter_pseudonym
from live.models import Event
from tests.factories import IdeaFactory, PlannerFactory, UserFactory, make_campaign

from .helpers import add_ideas, cluster_of, run_analysis
from .stories import topic_texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner():
    return PlannerFactory()


def test_second_report_shows_what_grew_and_what_is_new(
    client, planner, django_capture_on_commit_callbacks
):
    campaign = make_campaign(location_asked=True)
    add_ideas(campaign, "cycling", 8)
    add_ideas(campaign, "trees", 8)
    first = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    assert first.n_clusters == 2

    # Residents keep writing: more about cycling, and a topic nobody raised before.
    cycling = add_ideas(campaign, "cycling", 14)
    add_ideas(campaign, "buses", 10)
    second = run_analysis(django_capture_on_commit_callbacks, planner, campaign, k=3)

    assert second.previous == first
    comparison = second.results["comparison"]
    assert comparison["previous_id"] == first.pk
    assert comparison["new_ideas"] == 24
    cycling_now = str(cluster_of(second, cycling[-1]))
    grew = comparison["clusters"][cycling_now]
    assert grew["previous"] is not None and grew["growth"] > 0
    assert grew["new_ideas"] >= 10
    new_topics = [c for c in comparison["clusters"].values() if c["previous"] is None]
    assert len(new_topics) == 1 and new_topics[0]["new_ideas"] == 10
    rows = second.cluster_rows.filter(previous_number__isnull=True)
    assert rows.count() == 1 and rows.get().size >= 10

    client.force_login(planner)
    page = client.get(second.get_absolute_url()).content.decode()
    assert "Since the previous report" in page
    assert "new topic" in page and "grew by" in page


def test_a_new_idea_is_placed_in_the_nearest_existing_topic(
    planner, django_capture_on_commit_callbacks
):
    campaign = make_campaign()
    trees = add_ideas(campaign, "trees", 8)
    add_ideas(campaign, "buses", 8)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    trees_cluster = cluster_of(report, trees[0])

    # A resident proposes a new idea; the hook places it after commit.
    with django_capture_on_commit_callbacks(execute=True):
        idea = IdeaFactory(
            campaign=campaign,
            title="Plant trees and a little park with shade",
            description="More trees, green space and gardens in our street.",
        )

    placed = IdeaAssignment.objects.get(report=report, idea=idea)
    assert placed.later and placed.cluster == trees_cluster
    assert placed.similarity > 0
    report.refresh_from_db()
    assert report.assigned_since == 1 and not report.fit_degraded
    event = Event.objects.filter(topic=report.topic).last()
    assert event.type == "insights.ideas_assigned"
    assert event.data["counts"] == {"assigned": 1}
    # Running it again places nothing twice.
    assert actions.do_assign_new_ideas(campaign.pk) == 0


def test_ideas_unlike_any_topic_flag_the_report_for_a_rerun(
    planner, django_capture_on_commit_callbacks
):
    campaign = make_campaign()
    add_ideas(campaign, "trees", 8)
    add_ideas(campaign, "buses", 8)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    for title, description in topic_texts("cycling", 10):
        IdeaFactory(
            campaign=campaign,
            title="Zebra qwyx " + title,
            description="Völlig anders: Fahrräder überall, Radwege! " + description,
        )
    assert actions.do_assign_new_ideas(campaign.pk) == 10
    report.refresh_from_db()
    assert report.assigned_since == 10
    assert report.fit_degraded


def _vote_campaign_with_two_camps(n_per_camp: int = 15):
    campaign = make_campaign(voting_mode="agree_disagree")
    ideas = [
        IdeaFactory(campaign=campaign, title=t, description=d)
        for t, d in topic_texts("buses", 6) + topic_texts("cycling", 6)
    ]
    shared = IdeaFactory(
        campaign=campaign,
        title="Keep the library open on Sundays",
        description="Everyone likes the library.",
    )
    camps = {"a": [], "b": []}
    for camp, group in (("a", "business"), ("b", "resident")):
        for _ in range(n_per_camp):
            voter = UserFactory(stakeholder_group=group)
            camps[camp].append(voter)
            for i, idea in enumerate(ideas):
                likes = (i < 6) == (camp == "a")
                Vote.objects.create(user=voter, idea=idea, choice=1 if likes else -1)
            Vote.objects.create(user=voter, idea=shared, choice=1)
    return campaign, ideas, shared, camps


def test_opinion_groups_recover_a_planted_two_camp_split(
    client, planner, django_capture_on_commit_callbacks
):
    campaign, ideas, shared, camps = _vote_campaign_with_two_camps()
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)

    opinions = report.results["opinions"]
    assert len(opinions["groups"]) == 2
    # Voters are pseudonymised: a keyed hash of the campaign and the account.
    n = len(camps["a"])
    groups_a = {
        opinions["participants"][voter_pseudonym(campaign.pk, u.pk)] for u in camps["a"]
    }
    groups_b = {
        opinions["participants"][voter_pseudonym(campaign.pk, u.pk)] for u in camps["b"]
    }
    assert len(groups_a) == 1 and len(groups_b) == 1 and groups_a != groups_b
    assert str(shared.pk) in opinions["consensus"]
    assert set(opinions["divisive"]) & {str(i.pk) for i in ideas}
    assert len(opinions["coordinates"]) == 2 * n
    # No account id of a voter is stored in the report.
    voter_ids = {str(u.pk) for c in camps.values() for u in c}
    assert not voter_ids & set(opinions["participants"])

    client.force_login(planner)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "Opinion groups" in page and page.count('<circle class="dot') == 2 * n
    assert "Common ground" in page and shared.title in page
    # The page says how the groups were found, and how steady they are.
    assert "How these groups were found" in page and "Stability:" in page
    # The camps declared stakeholder groups: the page breaks figures down by them.
    assert "By stakeholder group" in page and "Business" in page


def test_opinion_groups_keep_their_names_from_one_report_to_the_next(
    client, planner, django_capture_on_commit_callbacks
):
    # An account older than every voter, who votes only after the first report:
    # numbering the voters in account order would have renamed all of them.
    late = UserFactory(stakeholder_group="resident")
    campaign, ideas, shared, camps = _vote_campaign_with_two_camps()
    first = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    before = first.results["opinions"]["participants"]
    name = {u.pk: voter_pseudonym(campaign.pk, u.pk) for c in camps.values() for u in c}
    (a_id,) = {before[name[u.pk]] for u in camps["a"]}
    assert first.results["opinions"]["warm_start"] is False

    # Camp b grows past camp a: numbered by size, camp b would now be group 0.
    for voter in [late] + [UserFactory() for _ in range(7)]:
        camps["b"].append(voter)
        for i, idea in enumerate(ideas):
            Vote.objects.create(user=voter, idea=idea, choice=-1 if i < 6 else 1)
        Vote.objects.create(user=voter, idea=shared, choice=1)
    second = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    after = second.results["opinions"]
    assert after["warm_start"] is True
    assert {g["id"]: g["size"] for g in after["groups"]} == {a_id: 15, 1 - a_id: 23}
    for u in camps["a"] + camps["b"][:15]:
        assert after["participants"][name[u.pk]] == before[name[u.pk]]
    # The page says the groups were started from the previous report's.
    client.force_login(planner)
    page = client.get(second.get_absolute_url()).content.decode()
    assert "started from the previous report's groups" in page
    assert "(within 2%)" in page
    first_page = client.get(first.get_absolute_url()).content.decode()
    assert "How these groups were found" in first_page
    assert "started from the previous report's groups" not in first_page


def test_stakeholder_group_is_optional_on_the_profile(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert b"stakeholder_group" in response.content
    client.post(
        reverse("accounts:profile"),
        {
            "display_name": "Ana",
            "preferred_language": "en",
            "email_notifications": "never",
            "stakeholder_group": "academia",
        },
    )
    user.refresh_from_db()
    assert user.stakeholder_group == "academia"
    assert UserFactory().stakeholder_group == ""


def test_nightly_and_closing_runs(planner, django_capture_on_commit_callbacks):
    now = timezone.now()
    fresh = make_campaign(title="Open, never analysed")
    add_ideas(fresh, "trees", 3)
    recent = make_campaign(title="Open, analysed an hour ago")
    add_ideas(recent, "trees", 3)
    InsightReport.objects.create(campaign=recent, status=ReportStatus.SUCCEEDED)
    closed = make_campaign(
        title="Closed yesterday",
        phases=[("collecting", -30, -1), ("reviewing", -1, 30)],
    )
    add_ideas(closed, "buses", 3)
    old = InsightReport.objects.create(campaign=closed, status=ReportStatus.SUCCEEDED)
    InsightReport.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))
    empty = make_campaign(title="No ideas")  # noqa: F841 - nothing to analyse

    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled_insights")

    started = {
        r.campaign_id: r.trigger
        for r in InsightReport.objects.exclude(pk=old.pk).filter(created_by=None)
        if r.status == ReportStatus.SUCCEEDED and r.n_ideas
    }
    assert started == {fresh.pk: "nightly", closed.pk: "closing"}
    # Once analysed after closing, a closed campaign is left alone.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduled_insights")
    assert InsightReport.objects.filter(campaign=closed).count() == 2
