"""A developer finds the open data API: /api/ lists the endpoints, /api/docs/ reads
them from the OpenAPI document, without any script, and the campaign page links
to both."""

import re

import pytest
from django.urls import reverse

from ideas.api import OPENAPI
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db


def test_docs_page_documents_every_operation_and_schema_without_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    for path, item in OPENAPI["paths"].items():
        for method in item:
            assert f"<code>{method.upper()} {path}</code>" in html
            assert item[method]["summary"] in html
    for name in OPENAPI["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    # Parameters with their constraints, from the document.
    assert "<code>page_size</code>" in html and "at most" in html
    assert "one of: id, new, supported, discussed" in html
    # CSP-safe: no script of any kind, and the strict policy applies.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_api_root_lists_the_endpoints_for_people_and_programs(client):
    html = client.get("/api/").content.decode()
    assert '<a href="/api/ideas/">/api/ideas/</a>' in html
    assert 'href="/api/docs/"' in html
    data = client.get("/api/", {"format": "json"}).json()
    paths = {(e["method"], e["path"]) for e in data["endpoints"]}
    assert ("GET", "/api/campaigns/{id}/") in paths
    assert data["docs"].endswith("/api/docs/")
    as_json = client.get("/api/", HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"


def test_campaign_open_data_links_to_the_api_and_its_docs(client):
    campaign = make_campaign()
    html = client.get(campaign.url).content.decode()
    assert f'href="{reverse("api:api_index")}"' in html
    assert f'href="{reverse("api:api_docs")}"' in html
