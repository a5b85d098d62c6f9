"""The demo city has an open poll, a closed poll with published results and log, and an
event vote ready to open."""

import io
import json

import pytest
from django.core.management import call_command

from polls import actions, ballots
from polls.models import PollPage

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_the_three_polls_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    open_poll = PollPage.objects.get(slug="riverside-park")
    closed = PollPage.objects.get(slug="library-hours")
    event = PollPage.objects.get(slug="town-hall-vote")
    assert actions.state_of(open_poll) == "open" and open_poll.box.ballot_count == 9
    assert actions.state_of(closed) == "closed"
    log = json.loads(client.get(f"/polls/{closed.pk}/ballots.json").content)
    assert ballots.verify_log(log).ok and log["ballot_count"] == 20
    assert client.get(f"/polls/{closed.pk}/results/").status_code == 200
    assert actions.state_of(event) == "not_open" and event.is_event
    assert client.get(open_poll.url).status_code == 200
