"""Every address of the open data API is in its OpenAPI document (/api/openapi.json,
rendered at /api/docs/), and what each one answers has the fields the document
names: an endpoint added without its description, or a field that drifted, fails
here."""

import re

import pytest
from django.urls import get_resolver

from ideas.api import OPENAPI
from tests.factories import IdeaFactory, make_poll

pytestmark = pytest.mark.django_db

# The documentation itself: the index, the rendered docs and the document.
NOT_ENDPOINTS = {"", "docs/", "openapi.json"}


def served_api_paths():
    _prefix, api = get_resolver().namespace_dict["api"]
    routes = {str(p.pattern) for p in api.url_patterns} - NOT_ENDPOINTS
    return {"/api/" + re.sub(r"<(?:\w+:)?\w+>", "{}", r) for r in routes}


def documented_paths():
    return {re.sub(r"\{\w+\}", "{}", p) for p in OPENAPI["paths"]}


def test_every_api_address_is_documented_and_every_documented_one_is_served():
    assert served_api_paths() == documented_paths()
    assert {"/api/polls/", "/api/polls/{}/"} <= documented_paths()


def resolve(schema):
    if "$ref" in schema:
        return OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_endpoint_answers_with_the_fields_its_document_names(client):
    idea = IdeaFactory()
    poll = make_poll(results_visibility="live")
    ids = {"campaigns": idea.campaign.pk, "ideas": idea.pk, "polls": poll.pk}
    for path, item in OPENAPI["paths"].items():
        collection = path.split("/")[2]
        url = path.replace("{id}", str(ids[collection]))
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.json()
        schema = resolve(
            item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        )
        assert set(body) == set(schema["properties"]), url
        if "results" in body:
            assert body["results"], url
            row_schema = resolve(schema["properties"]["results"]["items"])
            for row in body["results"]:
                assert set(row) == set(row_schema["properties"]), url
