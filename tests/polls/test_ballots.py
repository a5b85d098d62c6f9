"""The shared ballot: secret (no link from ballot to voter), one per voter, receipts,
and a hash chain that catches any ballot changed, deleted or inserted afterwards."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from polls import ballots
from polls.models import Ballot, BallotBox, VoterRollEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def tally(counts, choices, segment, sign):
    for option in choices["q1"]:
        counts[str(option)] = counts.get(str(option), 0) + sign


@pytest.fixture
def box():
    return ballots.get_or_create_box(
        "test.1", opens_at=timezone.now() - timedelta(hours=1), allow_change=True
    )


def cast_some(box, n=5):
    receipts = []
    for i in range(n):
        receipts.append(
            ballots.cast_ballot(
                box,
                UserFactory(),
                {"q1": [i % 3]},
                segment={"district": "N"},
                tally=tally,
            )
        )
    return receipts


def test_the_ballot_table_has_no_link_to_a_voter():
    fields = {f.name: f for f in Ballot._meta.get_fields()}
    assert set(fields) == {
        "id",
        "box",
        "seq",
        "choices",
        "segment",
        "segment_salt",
        "segment_hash",
        "receipt_hash",
        "replaces_seq",
        "prev_hash",
        "hash",
    }
    related = [f.related_model for f in fields.values() if f.is_relation]
    assert related == [BallotBox]
    with connection.cursor() as cursor:
        columns = {
            c.name
            for c in connection.introspection.get_table_description(
                cursor, Ballot._meta.db_table
            )
        }
    assert not {c for c in columns if "user" in c or "voter" in c or c[-2:] == "at"}
    roll_fields = {f.name for f in VoterRollEntry._meta.get_fields()}
    assert roll_fields == {"id", "box", "voter_key", "user", "changes"}


def test_no_stored_row_links_voter_and_ballot(box):
    voter = UserFactory()
    receipt = ballots.cast_ballot(box, voter, {"q1": [2]}, tally=tally)
    ballot = Ballot.objects.get()
    stored = json.dumps({k: str(v) for k, v in Ballot.objects.values().get().items()})
    assert f"u{voter.pk}" not in stored and voter.email not in stored
    assert receipt.code not in stored  # only its hash
    assert ballot.receipt_hash == ballots.receipt_hash(box.key, receipt.code)
    entry = VoterRollEntry.objects.get()
    assert entry.user == voter and entry.voter_key == f"u{voter.pk}"
    roll_row = str(VoterRollEntry.objects.values().get())
    for secret in (ballot.hash, ballot.receipt_hash, ballot.segment_salt):
        assert secret not in roll_row
    # The roll's key is random, so its order tells nothing about casting order.
    assert not str(entry.pk).isdigit()


def test_a_second_ballot_is_refused_and_nothing_changes(box):
    voter = UserFactory()
    ballots.cast_ballot(box, voter, {"q1": [1]}, tally=tally)
    with pytest.raises(ballots.AlreadyVoted, match="already voted"):
        ballots.cast_ballot(box, voter, {"q1": [2]}, tally=tally)
    box.refresh_from_db()
    assert (box.ballot_count, box.last_seq, box.counts) == (1, 1, {"1": 1})


def test_closed_and_unopened_boxes_refuse_saying_why(box):
    later = ballots.get_or_create_box("test.2", opens_at=timezone.now() + timedelta(1))
    with pytest.raises(ballots.BoxClosed, match="not opened yet"):
        ballots.cast_ballot(later, UserFactory(), {"q1": [1]})
    ballots.close_box(box)
    with pytest.raises(ballots.BoxClosed, match="Voting has closed"):
        ballots.cast_ballot(box, UserFactory(), {"q1": [1]})
    assert not Ballot.objects.exists() and not VoterRollEntry.objects.exists()


def test_changing_a_ballot_with_its_receipt(box):
    voter = UserFactory()
    first = ballots.cast_ballot(box, voter, {"q1": [0]}, tally=tally)
    second = ballots.cast_ballot(
        box, voter, {"q1": [1]}, tally=tally, replacing_receipt=first.code
    )
    assert second.replaced_seq == first.seq
    box.refresh_from_db()
    assert box.counts == {"0": 0, "1": 1} and box.ballot_count == 1
    old = ballots.find_receipt(box, first.code)
    assert (old.counted, old.replaced_by) == (False, second.seq)
    assert ballots.find_receipt(box, second.code.lower()).counted
    with pytest.raises(ballots.BallotError, match="already replaced"):
        ballots.cast_ballot(box, voter, {"q1": [2]}, replacing_receipt=first.code)
    with pytest.raises(ballots.ReceiptNotFound):
        ballots.cast_ballot(box, voter, {"q1": [2]}, replacing_receipt="AAAA-BBBB")
    assert VoterRollEntry.objects.get().changes == 1
    assert ballots.verify_box(box).ok


def test_the_published_log_recounts_and_finds_every_receipt(box):
    receipts = cast_some(box, 6)
    ballots.close_box(box)
    log = ballots.publish_log(box, meta={"title": "t"})
    data = json.loads(log.json_text)
    check = ballots.verify_log(data, expected_head=box.head_hash)
    assert check.ok, check.problems
    assert len(check.counted) == 6 == log.ballot_count
    hashes = {row["receipt_hash"] for row in data["ballots"]}
    assert all(ballots.receipt_hash(box.key, r.code) in hashes for r in receipts)
    from_csv = ballots.verify_log(ballots.log_from_csv(log.csv_text))
    assert from_csv.ok and from_csv.head_hash == log.head_hash
    assert ballots.publish_log(box).pk == log.pk  # final: published once


def test_small_segments_are_left_out_of_the_log_but_still_verify(box):
    cast_some(box, 3)
    ballots.cast_ballot(box, UserFactory(), {"q1": [0]}, segment={"district": "Tiny"})
    ballots.close_box(box)
    data = json.loads(ballots.publish_log(box, privacy_minimum=2).json_text)
    shown = [row["segment"] for row in data["ballots"]]
    assert shown == [{"district": "N"}] * 3 + [None]
    assert ballots.verify_log(data).ok


@pytest.mark.parametrize("tamper", ["modify", "delete", "insert"])
def test_the_chain_catches_tampering_in_the_database(box, tamper):
    cast_some(box, 5)
    assert ballots.verify_box(box).ok
    if tamper == "modify":
        Ballot.objects.filter(box=box, seq=3).update(choices={"q1": [9]})
    elif tamper == "delete":
        Ballot.objects.filter(box=box, seq=3).delete()
    else:
        last = Ballot.objects.get(box=box, seq=5)
        Ballot.objects.create(
            box=box,
            seq=6,
            choices={"q1": [0]},
            segment={},
            segment_hash="x",
            receipt_hash="y",
            prev_hash=last.hash,
            hash="z",
        )
    check = ballots.verify_box(box)
    assert not check.ok
    assert check.problems


@pytest.mark.parametrize("tamper", ["modify", "delete", "insert", "recompute"])
def test_the_chain_catches_tampering_in_the_published_file(box, tamper):
    cast_some(box, 5)
    ballots.close_box(box)
    published = ballots.publish_log(box)
    data = json.loads(published.json_text)
    rows = data["ballots"]
    if tamper == "modify":
        rows[1]["choices"] = {"q1": [2]}
    elif tamper == "delete":
        del rows[2]
    elif tamper == "insert":
        rows.insert(2, dict(rows[2], receipt_hash="0" * 64))
    else:
        # A forger who recomputes every hash after changing a ballot still ends on
        # a different head hash than the one published on the results page.
        rows[0]["choices"] = {"q1": [2]}
        prev = ballots.genesis_hash(box.key)
        for row in rows:
            row["prev_hash"] = prev
            row["hash"] = prev = ballots.ballot_hash(
                prev,
                row["seq"],
                row["choices"],
                row["receipt_hash"],
                row["segment_hash"],
                row["replaces"],
            )
        data["head_hash"] = prev
    check = ballots.verify_log(data, expected_head=published.head_hash)
    assert not check.ok
