"""What residents may do follows the phase dates: data, not code in views."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ideas import actions
from ideas.phases import PHASE_ACTIONS, Action, PhaseKind
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db


def test_each_phase_kind_names_the_actions_it_opens():
    assert PHASE_ACTIONS[PhaseKind.COLLECTING] == {
        Action.PROPOSE,
        Action.SUPPORT,
        Action.COMMENT,
    }
    assert PHASE_ACTIONS[PhaseKind.SUPPORTING] == {Action.SUPPORT, Action.COMMENT}
    assert PHASE_ACTIONS[PhaseKind.REVIEWING] == {Action.COMMENT}
    assert PHASE_ACTIONS[PhaseKind.CLOSED] == frozenset()


def test_phases_open_and_close_as_time_passes(resident):
    campaign = make_campaign(
        phases=[("collecting", 1, 10), ("supporting", 10, 20), ("closed", 20, 40)]
    )
    now = timezone.now()
    assert campaign.current_phase(now) is None and not campaign.has_started(now)
    with pytest.raises(actions.IdeaError, match="has not started yet"):
        actions.do_propose_idea(
            resident, campaign, title="Too early idea", description="x"
        )
    day = timedelta(days=1)
    assert campaign.allows(Action.PROPOSE, now + 2 * day)
    assert not campaign.allows(Action.PROPOSE, now + 12 * day)
    assert campaign.allows(Action.SUPPORT, now + 12 * day)
    assert not campaign.allows(Action.SUPPORT, now + 25 * day)
    assert campaign.current_phase(now + 50 * day) is None and campaign.has_started(
        now + 50 * day
    )


def test_proposing_closes_with_a_clear_message(resident, client):
    campaign = make_campaign(phases=[("collecting", -20, -10), ("supporting", -10, 10)])
    with pytest.raises(actions.IdeaError, match="New ideas are not being collected"):
        actions.do_propose_idea(
            resident, campaign, title="Late idea here", description="x"
        )
    page = client.get(campaign.url).content.decode()
    assert "New ideas are not being collected" in page
    client.force_login(resident)
    form = client.get(f"/ideas/campaign/{campaign.pk}/propose/").content.decode()
    assert "New ideas are not being collected" in form and 'name="title"' not in form


def test_anonymous_visitors_are_invited_to_log_in_where_residents_could_act(client):
    campaign = make_campaign()
    page = client.get(campaign.url).content.decode()
    assert "Log in to take part" in page and "Propose an idea" not in page


def test_nothing_invites_anyone_in_a_closed_campaign(client):
    campaign = make_campaign(phases=[("closed", -5, 5)])
    page = client.get(campaign.url).content.decode()
    assert "Log in to take part" not in page
