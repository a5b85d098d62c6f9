"""What the demo city holds is found: the words a newcomer would try first."""

import pytest
from django.core.management import call_command

from search.query import search

pytestmark = pytest.mark.django_db


def test_seeded_demo_content_is_found(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    trees = search("trees")
    titles = [str(h.title) for h in trees.page.object_list]
    assert any("Station Street" in t for t in titles)
    park = search("park")
    assert {f.value for f in park.kinds} >= {"idea", "post"}
    housing = search("housing")
    assert housing.total > 50
    assert {f.label for f in housing.places} >= {"Affordable housing"}
    # The campaign page's own search box finds its seeded ideas.
    from ideas.models import CampaignPage

    campaign = CampaignPage.objects.get(slug="affordable-housing")
    html = client.get(campaign.url, {"q": "rent"}).content.decode()
    assert "No idea matches these filters" not in html
    assert "rented accommodation" in html
    # The forums' search finds seeded posts.
    html = client.get("/discussions/search/", {"q": "fountains"}).content.decode()
    assert "<mark>" in html
    # Running the seed again changes nothing, and the index stays whole.
    before = search("housing").total
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert search("housing").total == before
