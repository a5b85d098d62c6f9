"""Staff "view draft" of the pages a view renders (campaigns, polls): Wagtail renders
their template with only the page in its context, which once failed with a 500 (a
campaign's follow form had no campaign id)."""

import pytest

from tests.factories import make_poll, view_draft

pytestmark = pytest.mark.django_db


def test_a_campaign_draft_renders_through_its_view(client, campaign):
    response = view_draft(client, campaign)
    assert response.status_code == 200
    body = response.content.decode()
    assert "(draft)" in body
    assert f"/ideas/campaign/{campaign.pk}/follow/" in body


def test_a_poll_draft_renders_through_its_view(client):
    response = view_draft(client, make_poll())
    assert response.status_code == 200
    assert "(draft)" in response.content.decode()
