"""A voter double-submits (two tabs, a double tap): one ballot, on SQLite and
PostgreSQL alike. Each submit has its own thread and database connection."""

from datetime import timedelta

import pytest
from django.utils import timezone

from polls import ballots
from polls.models import Ballot, BallotBox, VoterRollEntry
from tests.factories import UserFactory
from tests.forums.test_like_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_concurrent_double_submit_gives_one_ballot():
    box = ballots.get_or_create_box(
        "race.1", opens_at=timezone.now() - timedelta(minutes=1)
    )
    voter = UserFactory()
    outcomes: list[str] = []

    def submit(option):
        try:
            ballots.cast_ballot(
                BallotBox.objects.get(pk=box.pk),
                voter,
                {"q": [option]},
                tally=lambda counts, choices, segment, sign: counts.update(
                    n=counts.get("n", 0) + sign
                ),
            )
            outcomes.append("cast")
        except ballots.AlreadyVoted:
            outcomes.append("refused")

    run_concurrently(submit, [(i,) for i in range(6)])
    assert sorted(outcomes) == ["cast"] + ["refused"] * 5
    box.refresh_from_db()
    assert Ballot.objects.count() == VoterRollEntry.objects.count() == 1
    assert box.ballot_count == 1 and box.counts == {"n": 1}
    assert ballots.verify_box(box).ok


def test_many_voters_at_once_are_all_counted_in_one_unbroken_chain():
    box = ballots.get_or_create_box(
        "race.2", opens_at=timezone.now() - timedelta(minutes=1)
    )
    voters = UserFactory.create_batch(10)
    run_concurrently(
        lambda v: ballots.cast_ballot(BallotBox.objects.get(pk=box.pk), v, {"q": [1]}),
        [(v,) for v in voters],
    )
    box.refresh_from_db()
    assert box.ballot_count == 10 == Ballot.objects.count()
    assert sorted(Ballot.objects.values_list("seq", flat=True)) == list(range(1, 11))
    assert ballots.verify_box(box).ok
