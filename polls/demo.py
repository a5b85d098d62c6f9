"""Demo polls for `seed_demo`: an open poll with stakeholder shares, a closed poll with
its published results and ballot log, and an event vote ready to open. Voters are
demo residents verified at a desk, so the demo exercises the real paths."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.actions import do_verify_at_desk
from accounts.demo import make_verified_account
from accounts.models import User
from accounts.verification import active_verification

from . import actions
from .models import PollPage, PollQuestion, StakeholderWeight

GROUPS = ["resident", "business", "academia", "civil_society", "government"]
DISTRICTS = ["Old Town", "Riverside", "Northgate"]


def _voters(admin: User, n: int) -> list[User]:
    people = []
    for i in range(n):
        user, _created = make_verified_account(
            f"voter{i + 1}@agora.test", f"Demo voter {i + 1}"
        )
        if active_verification(user) is None:
            do_verify_at_desk(
                admin,
                user,
                note="demo resident",
                district=DISTRICTS[i % len(DISTRICTS)],
                birth_year=1950 + (i * 7) % 55,
                stakeholder_group=GROUPS[i % len(GROUPS)],
            )
        people.append(user)
    return people


def _poll(home: Any, slug: str, questions: list[tuple], **fields: Any) -> PollPage:
    poll = PollPage(slug=slug, **fields)
    for i, (text, kind, options, max_choices) in enumerate(questions):
        poll.questions.add(
            PollQuestion(
                text=text,
                kind=kind,
                options_text="\n".join(options),
                max_choices=max_choices,
                sort_order=i,
            )
        )
    home.add_child(instance=poll)
    return PollPage.objects.get(pk=poll.pk)


def seed(home: Any) -> list[PollPage]:
    if PollPage.objects.filter(slug="riverside-park").exists():
        return []
    admin = User.objects.filter(email="admin@agora.test").first()
    if admin is None:
        return []
    now = timezone.now()
    voters = _voters(admin, 20)
    made = []

    open_poll = _poll(
        home,
        "riverside-park",
        [
            (
                "What should the new Riverside park have first?",
                "single",
                ["A playground", "Sports courts", "Community gardens", "Quiet lawns"],
                None,
            ),
            (
                "Rank the opening hours you prefer",
                "ranking",
                ["All night", "Until 22:00", "Until dusk"],
                None,
            ),
        ],
        title="Riverside park: what first?",
        intro="A binding poll for verified residents, with Leuven-style shares: "
        "five stakeholder groups at 20 % each.",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        results_visibility="live",
        allow_change=True,
        privacy_minimum=3,
    )
    for group in GROUPS:
        StakeholderWeight.objects.create(page=open_poll, group=group, share=Decimal(20))
    q1, q2 = list(open_poll.questions.all())
    rng = random.Random(2030)  # noqa: S311 - demo data, not security
    for voter in voters[:9]:
        ranks = ["1", "2", "3"]
        rng.shuffle(ranks)
        actions.do_vote(
            open_poll,
            voter,
            {str(q1.pk): [rng.choice([0, 0, 1, 2, 3])], str(q2.pk): ranks},
        )
    made.append(open_poll)

    closed = _poll(
        home,
        "library-hours",
        [
            (
                "Which evenings should the central library stay open late?",
                "multiple",
                ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                2,
            )
        ],
        title="Library evenings",
        intro="Closed: its results and the ballot log are published; anyone can "
        "recount them with manage.py verify_poll.",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=1),
        results_visibility="after_close",
        privacy_minimum=3,
    )
    q = closed.questions.get()
    for voter in voters:
        actions.do_vote(
            closed, voter, {str(q.pk): rng.sample([0, 1, 2, 3, 3, 4, 4, 4], 2)}
        )
    actions.do_close_poll(admin, closed)
    made.append(closed)

    made.append(
        _poll(
            home,
            "town-hall-vote",
            [
                (
                    "Which idea should the town hall meeting take up first?",
                    "single",
                    ["Safer crossings", "More benches", "Free water fountains"],
                    None,
                )
            ],
            title="Town hall: live vote",
            intro="An event vote: staff open it in the hall, the code goes on the "
            "wall, and everyone votes from their phone.",
            eligibility="event",
            results_visibility="live",
        )
    )
    return made
