"""The demo city's campaigns: the real Pol.is votes arrive with consistent counts."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from ideas.models import CampaignPage, Idea, OfficialResponse, Vote

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_both_campaigns_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    housing = CampaignPage.objects.get(slug="affordable-housing")
    streets = CampaignPage.objects.get(slug="greener-streets")
    assert housing.ideas.count() == 119  # 165 statements, those moderated out left out
    assert Vote.objects.filter(idea__campaign=housing).count() > 10_000
    mismatched = (
        Idea.objects.filter(campaign=housing)
        .annotate(
            a=Count("votes", filter=Q(votes__choice=1)),
            d=Count("votes", filter=Q(votes__choice=-1)),
            p=Count("votes", filter=Q(votes__choice=0)),
        )
        .exclude(agree_count=F("a"), disagree_count=F("d"), pass_count=F("p"))
    )
    assert not mismatched.exists()
    assert "CC BY 4.0" in client.get(housing.url).content.decode()
    states = set(streets.ideas.values_list("state", flat=True))
    assert {
        "implemented",
        "planned",
        "accepted",
        "in_progress",
        "not_selected",
        "under_review",
    } <= states
    assert streets.ideas.filter(lat__isnull=False).count() == 10
    assert (
        OfficialResponse.objects.filter(
            idea__campaign=streets, by__isnull=False
        ).count()
        == 5
    )
    assert "past the deadline" in client.get(streets.url).content.decode()
