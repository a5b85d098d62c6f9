"""Open data: CSV and JSON downloads and the read-only API, public ideas only, no
personal data beyond display names, a fixed number of queries per page."""

import csv
import io

import pytest

from ideas import actions
from ideas.models import IdeaState
from tests.factories import PlannerFactory, UserFactory, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def ideas(campaign):
    author = UserFactory(display_name="Ana from Lime Lane", email="ana@private.example")
    parks = campaign.categories.get(name="Parks")
    public = actions.do_propose_idea(
        author,
        campaign,
        title="=SUM(A1) trees in the park",
        description="Shade, please.",
        categories=[parks],
        tags=["shade"],
        lat=50.88,
        lon=4.7,
        address="Lime Park",
    )
    actions.do_support_idea(UserFactory(), public)
    actions.do_change_status(
        PlannerFactory(), public, IdeaState.PLANNED, "Planting in May."
    )
    withdrawn = actions.do_propose_idea(
        UserFactory(), campaign, title="Withdrawn idea here", description="x"
    )
    actions.do_withdraw_idea(withdrawn.author, withdrawn)
    held = make_campaign(premoderated=True)
    actions.do_propose_idea(
        UserFactory(), held, title="Pending idea here", description="x"
    )
    return public


def test_csv_export_holds_public_ideas_without_personal_data(client, campaign, ideas):
    response = client.get(f"/ideas/campaign/{campaign.pk}/ideas.csv")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["title"] for r in rows] == ["'=SUM(A1) trees in the park"]  # no formula
    row = rows[0]
    assert row["author"] == "Ana from Lime Lane"
    assert (row["state"], row["supports"], row["categories"], row["tags"]) == (
        "planned",
        "1",
        "Parks",
        "shade",
    )
    assert row["latest_answer"] == "Planting in May."
    assert "ana@private.example" not in body


def test_json_export(client, campaign, ideas):
    data = client.get(f"/ideas/campaign/{campaign.pk}/ideas.json").json()
    assert data["campaign"]["question"] == campaign.question
    (idea,) = data["ideas"]
    assert idea["location"] == {"lat": 50.88, "lon": 4.7, "address": "Lime Park"}
    assert [a["state"] for a in idea["answers"]] == ["planned"]
    assert "email" not in str(data)


def test_api_lists_campaigns_and_filters_ideas(client, campaign, ideas):
    campaigns = client.get("/api/campaigns/").json()
    assert campaign.pk in [c["id"] for c in campaigns["results"]]
    listed = client.get("/api/ideas/", {"campaign": campaign.pk}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == ideas.pk
    assert client.get("/api/ideas/", {"state": "accepted"}).json()["count"] == 0
    assert client.get("/api/ideas/", {"category": "parks"}).json()["count"] == 1
    assert (
        client.get("/api/ideas/", {"tag": "shade", "located": "true"}).json()["count"]
        == 1
    )
    assert client.get("/api/ideas/", {"state": "nonsense"}).status_code == 400
    assert client.get("/api/ideas/", {"page": 9}).status_code == 404
    assert client.get(f"/api/ideas/{ideas.pk}/").json()["supports"] == 1


def test_api_pages_have_a_fixed_number_of_queries(
    client, campaign, django_assert_max_num_queries
):
    people = [UserFactory() for _ in range(3)]
    for n in range(12):
        actions.do_propose_idea(
            people[n % 3],
            campaign,
            title=f"Open data idea {n}",
            description="x",
            tags=["t"],
        )
        from django.core.cache import cache

        cache.clear()
    with django_assert_max_num_queries(8):
        page = client.get("/api/ideas/", {"page_size": 5, "page": 2}).json()
    assert page["count"] == 12 and len(page["results"]) == 5 and page["next"]
    with django_assert_max_num_queries(8):
        client.get("/api/campaigns/")


def test_openapi_document_describes_the_api(client):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"/api/campaigns/", "/api/ideas/", "/api/ideas/{id}/"} <= set(doc["paths"])
    params = {p["name"] for p in doc["paths"]["/api/ideas/"]["get"]["parameters"]}
    assert {"campaign", "state", "category", "tag", "page"} <= params
