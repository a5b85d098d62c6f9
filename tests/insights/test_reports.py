"""A planner analyses a campaign and reads the report; residents cannot."""

import csv
import io
import re

import pytest
from django.urls import reverse

from insights import actions
from insights.models import InsightReport, ReportCluster, ReportStatus
from live.models import Event
from tests.factories import CityAdminFactory, PlannerFactory, UserFactory

from .helpers import add_ideas, campaign_with_topics, run_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner():
    return PlannerFactory()


@pytest.fixture
def planner_client(client, planner):
    client.force_login(planner)
    return client


def test_planner_starts_an_analysis_and_the_report_is_stored(
    planner_client, planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(10)
    url = reverse("insights:campaign", args=[campaign.pk])
    assert b"Start analysis" in planner_client.get(url).content

    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(url, {"k": "", "seed": "3"})

    report = InsightReport.objects.get(campaign=campaign)
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert report.status == ReportStatus.SUCCEEDED
    assert report.created_by == planner
    assert report.parameters == {"k": "auto", "seed": 3, "filters": {}}
    assert report.n_ideas == 30 and report.assignments.count() == 30
    assert report.n_clusters == 3 == ReportCluster.objects.filter(report=report).count()
    clusters = report.results["text"]["clusters"]
    assert sorted(c["size"] for c in clusters) == [10, 10, 10]
    assert all(c["summary"] and c["keywords"] and c["stats"] for c in clusters)
    assert report.model  # the fitted model is kept for ideas added later
    assert report.progress == 100 and report.finished_at >= report.started_at


def test_a_chosen_number_of_topics_and_a_state_filter_are_kept(
    planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(6)
    report = run_analysis(
        django_capture_on_commit_callbacks,
        planner,
        campaign,
        k=2,
        filters={"states": ["published"]},
    )
    assert report.parameters["k"] == 2
    assert report.parameters["filters"] == {"states": ["published"]}
    assert report.n_clusters == 2


def test_every_summary_line_links_to_the_ideas_behind_it(
    planner_client, planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(8)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    members = {c["id"]: set(c["members"]) for c in report.results["text"]["clusters"]}

    page = planner_client.get(report.get_absolute_url()).content.decode()

    lines = re.findall(
        r'<li class="summary-line"><a class="summary-line__text" href="([^"]+)" '
        r'data-idea-ids="([^"]+)">',
        page,
    )
    total_lines = sum(len(c["summary"]) for c in report.results["text"]["clusters"])
    assert len(lines) == total_lines > 0
    for href, ids in lines:
        ids = ids.split()
        assert href == reverse("ideas:idea", args=[ids[0]])
        assert any(set(ids) <= m for m in members.values())
    # A line that stands for several ideas also links to the list of them.
    cluster = next(
        c
        for c in report.results["text"]["clusters"]
        if any(len(line["idea_ids"]) > 1 for line in c["summary"])
    )
    n, line = next(
        (i, line)
        for i, line in enumerate(cluster["summary"])
        if len(line["idea_ids"]) > 1
    )
    more = reverse("insights:cluster", args=[report.pk, cluster["id"]]) + f"?line={n}"
    assert more in page
    listing = planner_client.get(more).content.decode()
    for idea_id in line["idea_ids"]:
        assert f'href="/ideas/{idea_id}/"' in listing
    # The idea the line starts with is a real, published idea page.
    assert planner_client.get(lines[0][0]).status_code == 200


def test_report_page_shows_charts_maps_and_warnings_without_javascript(
    planner_client, planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(8)
    one_voice = UserFactory()
    add_ideas(campaign, "cycling", 0)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    # A topic written by one resident only gets the few-voices warning.
    single = campaign_with_topics(0)
    add_ideas(single, "trees", 6, author=one_voice)
    lonely = run_analysis(django_capture_on_commit_callbacks, planner, single)

    page = planner_client.get(report.get_absolute_url()).content.decode()
    assert "Ideas per topic" in page and "<svg" in page and "<rect" in page
    assert "Ideas per week" in page and "Ideas by state" in page
    assert "data-idea-map" in page and "cluster-places" in page
    assert ' style="' not in page  # the CSP forbids inline styles
    assert "Few voices" not in page
    lonely_page = planner_client.get(lonely.get_absolute_url()).content.decode()
    assert "Few voices" in lonely_page


def test_residents_are_refused_and_visitors_sent_to_log_in(
    client, planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(4)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    urls = [
        reverse("insights:campaigns"),
        reverse("insights:campaign", args=[campaign.pk]),
        report.get_absolute_url(),
        reverse("insights:print", args=[report.pk]),
        reverse("insights:csv", args=[report.pk]),
        reverse("insights:json", args=[report.pk]),
        reverse("insights:cluster", args=[report.pk, 0]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))

    client.force_login(UserFactory())
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403
        assert b"for the city&#x27;s planners" in response.content
    response = client.post(reverse("insights:campaign", args=[campaign.pk]), {})
    assert response.status_code == 403
    assert InsightReport.objects.filter(campaign=campaign).count() == 1


def test_one_analysis_at_a_time_per_campaign(planner):
    campaign = campaign_with_topics(2)
    InsightReport.objects.create(campaign=campaign, status=ReportStatus.RUNNING)
    with pytest.raises(actions.InsightError, match="already running"):
        actions.do_start_analysis(planner, campaign)


def test_a_campaign_without_ideas_cannot_be_analysed(planner_client, planner):
    campaign = campaign_with_topics(0)
    response = planner_client.post(
        reverse("insights:campaign", args=[campaign.pk]), {"k": ""}, follow=True
    )
    assert b"no published ideas to analyse yet" in response.content
    assert not InsightReport.objects.exists()


def test_bad_input_is_explained_and_kept(planner_client):
    campaign = campaign_with_topics(2)
    response = planner_client.post(
        reverse("insights:campaign", args=[campaign.pk]), {"k": "99", "seed": "4"}
    )
    assert response.status_code == 400
    assert b"at most 30 topics" in response.content
    assert b'value="4"' in response.content
    assert not InsightReport.objects.exists()


def test_progress_events_are_emitted_stage_by_stage(
    planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(5)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)

    events = list(Event.objects.filter(topic=f"insights.report.{report.pk}"))
    assert {e.type for e in events} == {"insights.progress"}
    progress = [e.data["counts"]["progress"] for e in events]
    assert progress == sorted(progress) and progress[-1] == 100
    assert len(set(progress)) >= 8  # one per stage, not only start and end
    last = events[-1].data
    assert last["mode"] == "replace"
    assert last["dom_id"] == f"report-progress-{report.pk}"
    assert 'value="100"' in last["html"] and "<progress" in last["html"]
    assert "Open the report" in last["html"]
    assert "announce" in last


def test_a_failed_analysis_says_so(planner, django_capture_on_commit_callbacks):
    campaign = campaign_with_topics(3)
    report = run_analysis(
        django_capture_on_commit_callbacks,
        planner,
        campaign,
        seed=-1,  # the form never sends this; scikit-learn refuses it mid-run
    )
    assert report.status == ReportStatus.FAILED
    assert report.error
    assert (
        Event.objects.filter(topic=report.topic)
        .last()
        .data["html"]
        .count("stopped with an error")
    )


def test_exports_csv_json_and_printable_page(
    planner_client, planner, django_capture_on_commit_callbacks
):
    campaign = campaign_with_topics(4)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    labels = {c["id"]: c["label"] for c in report.results["text"]["clusters"]}

    response = planner_client.get(reverse("insights:csv", args=[report.pk]))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert len(rows) == 12
    for row in rows:
        assert row["cluster_label"] == labels[int(row["cluster_id"])]
        assert row["url"].endswith(f"/ideas/{row['idea_id']}/")

    data = planner_client.get(reverse("insights:json", args=[report.pk])).json()
    assert data["parameters"]["k"] == "auto"
    assert data["results"]["text"]["clusters"][0]["label"] == labels[0]

    printable = planner_client.get(reverse("insights:print", args=[report.pk]))
    assert b"Save as PDF" in printable.content and b"summary-line" in printable.content


def test_the_campaign_page_links_planners_to_insights(planner_client):
    campaign = campaign_with_topics(1)
    link = reverse("insights:campaign", args=[campaign.pk])
    assert link.encode() in planner_client.get(campaign.url).content
    planner_client.force_login(UserFactory())
    assert link.encode() not in planner_client.get(campaign.url).content


def test_reports_list_costs_a_fixed_number_of_queries(
    planner_client, django_assert_max_num_queries
):
    campaign = campaign_with_topics(1)
    for _ in range(25):
        InsightReport.objects.create(
            campaign=campaign,
            status=ReportStatus.SUCCEEDED,
            created_by=PlannerFactory(),
        )
    with django_assert_max_num_queries(10):
        response = planner_client.get(reverse("insights:campaign", args=[campaign.pk]))
    assert response.content.count(b"/insights/reports/") >= 20
    with django_assert_max_num_queries(8):
        planner_client.get(reverse("insights:campaigns"))


@pytest.mark.parametrize("per_topic", [4, 16])
def test_report_page_costs_a_fixed_number_of_queries(
    planner_client,
    planner,
    per_topic,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    campaign = campaign_with_topics(per_topic)
    report = run_analysis(django_capture_on_commit_callbacks, planner, campaign)
    with django_assert_max_num_queries(10):
        response = planner_client.get(report.get_absolute_url())
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        planner_client.get(reverse("insights:cluster", args=[report.pk, 0]))


def test_planners_find_insights_in_the_wagtail_admin(planner_client):
    campaign = campaign_with_topics(1)
    admin_home = planner_client.get("/admin/")
    assert admin_home.status_code == 200
    assert b'"/insights/"' in admin_home.content  # the sidebar's JSON props
    # City administrators, who edit the page tree, also get it on campaign pages.
    planner_client.force_login(CityAdminFactory())
    listing = planner_client.get(f"/admin/pages/{campaign.get_parent().pk}/")
    assert reverse("insights:campaign", args=[campaign.pk]).encode() in listing.content
