"""Residents vote in polls; staff open, extend, close and cancel them; anyone reads the
results and recounts the published ballot log."""

import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from live.models import Event
from polls import actions, ballots
from polls.models import Ballot, PollAudit, PollResult, VoterRollEntry
from tests.factories import CityAdminFactory, UserFactory, make_poll, verify

pytestmark = pytest.mark.django_db

RECEIPT_RE = re.compile(r'<code id="receipt-code">([A-Z0-9-]+)</code>')


def vote(client, poll, option=0, **extra):
    q = poll.questions.first()
    return client.post(f"/polls/{poll.pk}/vote/", {f"q{q.pk}": [option], **extra})


def test_a_verified_resident_votes_keeps_the_receipt_and_finds_it_after_close(
    client, tmp_path
):
    poll = make_poll(results_visibility="live")
    resident = UserFactory()
    verify(resident, district="North", stakeholder_group="resident")
    client.force_login(resident)
    response = vote(client, poll, 1)
    assert response.status_code == 200
    receipt = RECEIPT_RE.search(response.content.decode()).group(1)
    assert response["Cache-Control"] == "no-store"
    page = client.get(poll.url, {"receipt": receipt}).content.decode()
    assert "is in the ballot box" in page and "It counts." in page

    actions.do_close_poll(CityAdminFactory(), poll)
    published = client.get(f"/polls/{poll.pk}/ballots.json")
    log = json.loads(published.content)
    assert ballots.receipt_hash(poll.box_key, receipt) in {
        row["receipt_hash"] for row in log["ballots"]
    }
    results = client.get(f"/polls/{poll.pk}/results/").content.decode()
    assert log["head_hash"] in results
    path = tmp_path / "ballots.json"
    path.write_bytes(published.content)
    out = []
    call_command("verify_poll", str(path), "--json", stdout=FakeOut(out))
    report = json.loads("".join(out))
    assert report["ok"] and report["ballots_counted"] == 1
    assert [o["count"] for o in report["result"]["questions"][0]["options"]] == [
        0,
        1,
        0,
    ]


class FakeOut:
    def __init__(self, sink):
        self.sink = sink

    def write(self, text, *args, **kwargs):
        self.sink.append(text)

    def flush(self):
        pass


def test_every_refusal_says_why_and_keeps_the_answers(client):
    poll = make_poll(questions=[("Pick two", "multiple", ["a", "b", "c"], 2)])
    q = poll.questions.get()
    assert (
        client.post(f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["0"]}).status_code == 302
    )
    resident = UserFactory()
    client.force_login(resident)
    response = client.post(f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["0"]})
    assert response.status_code == 400
    assert "Only verified residents" in response.content.decode()
    verify(resident)
    response = client.post(f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["0", "1", "2"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "choose at most 2 options" in body
    assert body.count("checked") == 3  # nothing the voter picked is lost
    assert (
        client.post(f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["0"]}).status_code == 200
    )
    response = client.post(f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["1"]})
    assert "already voted" in response.content.decode()
    assert Ballot.objects.count() == 1


def test_a_closed_poll_refuses_and_stores_nothing(client):
    poll = make_poll(
        opens_at=timezone.now() - timedelta(days=2),
        closes_at=timezone.now() - timedelta(days=1),
        eligibility="account",
    )
    client.force_login(UserFactory())
    response = vote(client, poll)
    assert response.status_code == 400
    assert "Voting has closed" in response.content.decode()
    assert not VoterRollEntry.objects.exists()


def test_district_and_age_rules_refuse_with_their_reason(client):
    poll = make_poll(districts="North", min_age=18)
    young, elsewhere = UserFactory(), UserFactory()
    verify(young, district="North", birth_year=timezone.now().year - 10)
    verify(elsewhere, district="South", birth_year=1970)
    client.force_login(young)
    assert "aged 18 or over" in vote(client, poll).content.decode()
    client.force_login(elsewhere)
    assert "verified in South" in vote(client, poll).content.decode()


def test_changing_a_ballot_until_close(client):
    poll = make_poll(
        allow_change=True, eligibility="account", results_visibility="live"
    )
    client.force_login(UserFactory())
    first = RECEIPT_RE.search(vote(client, poll, 0).content.decode()).group(1)
    response = vote(client, poll, 2, receipt=first)
    assert "replaces your earlier ballot #1" in response.content.decode()
    poll.box.refresh_from_db()
    q = str(poll.questions.get().pk)
    assert poll.box.counts["q"][q]["o"] == [0, 0, 1]
    assert ballots.verify_box(poll.box).ok


def test_staff_open_extend_close_and_everything_is_audited(client):
    admin = CityAdminFactory()
    poll = make_poll(open_now=False, eligibility="account")
    client.force_login(admin)
    client.post(f"/polls/{poll.pk}/manage/", {"action": "open"})
    assert actions.state_of(poll) == "open"
    later = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    client.post(f"/polls/{poll.pk}/manage/", {"action": "extend", "closes_at": later})
    voter = UserFactory()
    client.force_login(voter)
    vote(client, poll)
    client.force_login(admin)
    client.post(f"/polls/{poll.pk}/manage/", {"action": "close"})
    assert list(PollAudit.objects.values_list("action", flat=True)) == [
        "opened",
        "extended",
        "closed",
        "results_published",
    ]
    result = PollResult.objects.get(poll=poll)
    assert result.data["incremental_matches_recount"] and result.data["chain_ok"]
    with pytest.raises(ValueError, match="final"):
        result.save()
    response = client.post(
        f"/polls/{poll.pk}/manage/", {"action": "cancel", "reason": "x"}
    )
    assert "final" in response.wsgi_request._messages._queued_messages[0].message


def test_residents_cannot_manage_polls(client):
    poll = make_poll(open_now=False)
    client.force_login(UserFactory())
    assert (
        client.post(f"/polls/{poll.pk}/manage/", {"action": "open"}).status_code == 403
    )
    assert actions.state_of(poll) == "not_open"


def test_cancelling_needs_a_reason_and_stops_voting(client):
    admin = CityAdminFactory()
    poll = make_poll(eligibility="account")
    with pytest.raises(actions.PollError, match="Say why"):
        actions.do_cancel_poll(admin, poll, " ")
    actions.do_cancel_poll(admin, poll, "wrong question")
    client.force_login(UserFactory())
    assert "cancelled" in vote(client, poll).content.decode()


def test_results_after_close_only_unless_live(client):
    poll = make_poll(eligibility="account")
    assert client.get(f"/polls/{poll.pk}/results.json").status_code == 404
    live_poll = make_poll(eligibility="account", results_visibility="live")
    client.force_login(UserFactory())
    vote(client, live_poll, 1)
    data = client.get(f"/polls/{live_poll.pk}/results.json").json()
    assert data["result"]["questions"][0]["options"][1]["count"] == 1
    csv_text = client.get(f"/polls/{live_poll.pk}/results.csv").content.decode()
    assert "B,1,100.0" in csv_text


def test_a_vote_publishes_counts_on_the_poll_topic(
    client, django_capture_on_commit_callbacks
):
    poll = make_poll(eligibility="account", results_visibility="live")
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        vote(client, poll)
    event = Event.objects.filter(topic=f"poll.{poll.pk}").last()
    assert event.type == "poll.counts"
    assert event.data["counts"] == {"voters": 1}
    assert f"poll-{poll.pk}-bars" in event.data["html"]


def test_after_close_results_are_not_on_the_live_topic(client):
    poll = make_poll(eligibility="account")  # results after close
    client.force_login(UserFactory())
    vote(client, poll)
    event = Event.objects.filter(topic=f"poll.{poll.pk}").last()
    assert "html" not in event.data


def test_the_event_vote_from_a_phone_without_an_account(client):
    admin = CityAdminFactory()
    poll = make_poll(eligibility="event", open_now=False, results_visibility="live")
    actions.do_open_poll(admin, poll)
    poll.refresh_from_db()
    response = client.post("/vote/", {"code": poll.event_code, "access": "0000x"})
    assert response.status_code == 400
    assert "access code is not right" in response.content.decode()
    response = client.post(
        "/vote/", {"code": poll.event_code.lower(), "access": poll.event_access_code}
    )
    assert response.status_code == 302
    q = poll.questions.get()
    response = client.post(
        f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["0"], "from": "phone"}
    )
    assert response.status_code == 200 and RECEIPT_RE.search(response.content.decode())
    response = client.post(
        f"/polls/{poll.pk}/vote/", {f"q{q.pk}": ["1"], "from": "phone"}
    )
    assert "already voted" in response.content.decode()
    assert VoterRollEntry.objects.get().user is None
    projector = client.get(f"/polls/{poll.pk}/projector/").content.decode()
    assert poll.event_code in projector and 'id="ballot-count">1<' in projector


def test_the_open_data_api_lists_polls_with_bounded_queries(
    client, django_assert_max_num_queries
):
    for _ in range(3):
        make_poll()
    with django_assert_max_num_queries(8):
        data = client.get("/api/polls/").json()
    assert data["count"] == 3
    detail = client.get(f"/api/polls/{data['results'][0]['id']}/").json()
    assert detail["questions"][0]["options"] == ["A", "B", "C"]
    assert detail["result"] is None


def test_guessing_an_event_access_code_is_rate_limited(client):
    poll = make_poll(eligibility="event", open_now=False)
    actions.do_open_poll(CityAdminFactory(), poll)
    poll.refresh_from_db()
    statuses = [
        client.post("/vote/", {"code": poll.event_code, "access": f"x{i}"}).status_code
        for i in range(11)
    ]
    assert statuses == [400] * 10 + [429]


def test_the_poll_page_costs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    poll = make_poll(eligibility="account", results_visibility="live")
    for _ in range(3):
        client.force_login(UserFactory())
        vote(client, poll)
    with django_assert_max_num_queries(40):
        page = client.get(poll.url)
    assert page.status_code == 200 and "Results so far" in page.content.decode()


def test_a_poll_inside_a_campaign_links_its_ideas_and_has_one_discussion(client):
    from forums.models import Thread
    from tests.factories import IdeaFactory, make_campaign

    campaign = make_campaign()
    idea = IdeaFactory(campaign=campaign, title="Shade trees on Main Street")
    poll = make_poll(parent=campaign, eligibility="account")
    question = poll.questions.get()
    question.ideas.add(idea)
    question.save()  # a ParentalManyToManyField is written on save
    assert poll.get_parent().specific == campaign
    thread = Thread.objects.get(host_kind="poll", host_id=poll.pk)
    assert poll.thread_id == thread.pk
    page = client.get(poll.url).content.decode()
    assert "Shade trees on Main Street" in page
    assert idea.get_absolute_url() in page
    assert "posts" in page  # the discussion block
