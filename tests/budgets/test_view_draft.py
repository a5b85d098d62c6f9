"""Staff "view draft" of a budget renders through its view, as campaigns do."""

import pytest

from tests.factories import view_draft

pytestmark = pytest.mark.django_db


def test_a_budget_draft_renders_through_its_view(client, voting_budget):
    response = view_draft(client, voting_budget)
    assert response.status_code == 200
    assert "(draft)" in response.content.decode()
