"""Demo campaigns for `seed_demo`: one built from a real Pol.is conversation (votes
included), one in support mode with located ideas and answers in several states."""

from __future__ import annotations

import csv
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from forums.actions import do_create_hosted_thread

from . import actions
from .discussion import IDEA_HOST
from .models import (
    CampaignIndexPage,
    CampaignPage,
    Idea,
    IdeaState,
    OfficialResponse,
    Phase,
    Vote,
    VoteChoice,
    VotingMode,
)

DATA = Path(__file__).resolve().parent / "demo_data" / "affordable-housing"
POLIS_ATTRIBUTION = (
    "Data was gathered using the Polis software (compdemocracy.org/polis) and is "
    "sub-licensed under CC BY 4.0 with Attribution to The Computational Democracy "
    "Project. The data and more information about how the data was collected can be "
    "found at https://pol.is/4hnmy3zeff"
)
HOUSING_SLUG = "affordable-housing"
STREETS_SLUG = "greener-streets"


def _phases(campaign: CampaignPage, spec: list[tuple[str, int, int]]) -> None:
    now = timezone.now()
    for i, (kind, start, end) in enumerate(spec):
        Phase.objects.create(
            campaign=campaign,
            kind=kind,
            start=now + timedelta(days=start),
            end=now + timedelta(days=end),
            sort_order=i,
        )


def _index(home: Any) -> CampaignIndexPage:
    index = CampaignIndexPage.objects.first()
    if index is None:
        index = home.add_child(
            instance=CampaignIndexPage(
                title="Campaigns",
                slug="campaigns",
                intro="Questions the city is asking its residents.",
            )
        )
    return index


def _title(body: str, limit: int = 110) -> str:
    body = " ".join(body.split())
    first = body.split(". ")[0].rstrip(".")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _demo_residents(emails_names: list[tuple[str, str]]) -> dict[str, User]:
    """Get or make many verified demo residents in a few queries."""
    existing = {
        u.email: u for u in User.objects.filter(email__in=[e for e, _ in emails_names])
    }
    new = [
        User(email=email, display_name=name, password="!" + secrets.token_hex(8))
        for email, name in emails_names
        if email not in existing
    ]
    User.objects.bulk_create(new, batch_size=500)
    users = {
        u.email: u for u in User.objects.filter(email__in=[e for e, _ in emails_names])
    }
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=u, email=u.email, verified=True, primary=True)
            for u in users.values()
            if u.email not in existing
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return users


def seed_housing(index: CampaignIndexPage) -> CampaignPage | None:
    if CampaignPage.objects.filter(slug=HOUSING_SLUG).exists():
        return None
    campaign = index.add_child(
        instance=CampaignPage(
            title="Affordable housing",
            slug=HOUSING_SLUG,
            question="How can we make housing affordable again?",
            voting_mode=VotingMode.AGREE_DISAGREE,
            support_threshold=150,
            answer_deadline_days=8,
            attribution=POLIS_ATTRIBUTION,
            intro=[
                (
                    "paragraph",
                    "<p>381 New Zealanders voted on 165 statements about housing "
                    "affordability in a Pol.is conversation run by Scoop HiveMind in "
                    "2017. Agree, disagree or pass on each one: the insights report "
                    "finds the opinion groups.</p>",
                )
            ],
        )
    )
    _phases(
        campaign,
        [
            ("collecting", -60, -30),
            ("supporting", -30, 30),
            ("reviewing", 30, 45),
            ("answered", 45, 120),
        ],
    )
    with open(DATA / "comments.csv", newline="", encoding="utf-8") as f:
        comments = [r for r in csv.DictReader(f) if r["moderated"] != "-1"]
    with open(DATA / "participants-votes.csv", newline="", encoding="utf-8") as f:
        participants = list(csv.DictReader(f))
    people = _demo_residents(
        [
            (
                f"polis-{p['participant']}@demo.agora.test",
                f"Participant {p['participant']}",
            )
            for p in participants
        ]
    )
    start = timezone.now() - timedelta(days=60)
    ideas: dict[str, Idea] = {}
    for row in sorted(comments, key=lambda r: int(r["timestamp"])):
        author = people.get(f"polis-{row['author-id']}@demo.agora.test")
        body = " ".join(row["comment-body"].split())
        ideas[row["comment-id"]] = Idea(
            campaign=campaign,
            author=author,
            title=_title(body),
            description=body,
            created_at=start + timedelta(minutes=int(row["comment-id"]) * 7),
        )
    Idea.objects.bulk_create(ideas.values(), batch_size=500)
    votes = []
    for p in participants:
        user = people[f"polis-{p['participant']}@demo.agora.test"]
        for comment_id, idea in ideas.items():
            value = p.get(comment_id, "")
            if value in ("1", "-1", "0"):
                votes.append(Vote(user=user, idea=idea, choice=int(value)))
    Vote.objects.bulk_create(votes, batch_size=2000)
    for idea in ideas.values():
        mine = [v.choice for v in votes if v.idea is idea]
        idea.agree_count = mine.count(VoteChoice.AGREE)
        idea.disagree_count = mine.count(VoteChoice.DISAGREE)
        idea.pass_count = mine.count(VoteChoice.PASS)
        idea.thread = do_create_hosted_thread(IDEA_HOST, idea.pk, title=idea.title)
        if idea.agree_count >= campaign.support_threshold:
            idea.state = IdeaState.UNDER_REVIEW
            idea.review_started_at = timezone.now() - timedelta(days=3)
            OfficialResponse.objects.create(
                idea=idea,
                from_state=IdeaState.PUBLISHED,
                to_state=IdeaState.UNDER_REVIEW,
                text=f"This idea reached {campaign.support_threshold} agree votes, so the city will review it.",
                created_at=idea.review_started_at,
            )
    Idea.objects.bulk_update(
        ideas.values(),
        [
            "agree_count",
            "disagree_count",
            "pass_count",
            "thread",
            "state",
            "review_started_at",
        ],
        batch_size=500,
    )
    return campaign


STREET_IDEAS = [
    # title, description, category, lat, lon, address, supports, (state, answer, days ago)
    (
        "Trees along Station Street",
        "Plant a row of trees on the sunny side of Station Street so the walk from the station has shade in summer.",
        "Parks",
        50.8812,
        4.7151,
        "Station Street",
        14,
        ("implemented", "Planted in March: 24 lindens along the east pavement.", 30),
    ),
    (
        "A protected cycle lane on the ring road",
        "The ring road is frightening on a bike. A kerb-separated lane would let children cycle to school.",
        "Transport",
        50.8745,
        4.6990,
        "Ring road, south side",
        22,
        (
            "planned",
            "Included in next year's mobility plan; works start in spring.",
            20,
        ),
    ),
    (
        "Benches in the old market square",
        "Older neighbours have nowhere to rest in the square. A few benches in the shade would help.",
        "Parks",
        50.8790,
        4.7010,
        "Old Market",
        9,
        ("accepted", "Accepted: the parks service will place six benches.", 10),
    ),
    (
        "Safer crossing at the school gate",
        "Cars speed past the primary school on Lime Lane. A raised crossing would slow them.",
        "Safety",
        50.8830,
        4.7050,
        "Lime Lane school",
        18,
        ("in_progress", "The raised crossing is being built this month.", 5),
    ),
    (
        "Open-air cinema in the park",
        "Summer films in City Park, free, on Friday evenings.",
        "Culture",
        50.8770,
        4.7080,
        "City Park",
        6,
        (
            "not_selected",
            "Not selected: the park has no power supply there and the budget is committed; we will look at the library garden instead.",
            12,
        ),
    ),
    (
        "Water fountains in parks",
        "Drinking fountains in every large park so nobody needs to buy bottled water.",
        "Parks",
        50.8760,
        4.7030,
        "City Park entrance",
        12,
        ("under_review", "", 15),
    ),
    (
        "Bike parking at the library",
        "The racks at the library are always full. Double them.",
        "Transport",
        50.8800,
        4.6995,
        "Central library",
        4,
        None,
    ),
    (
        "Night bus on weekends",
        "A bus every hour between midnight and 4 a.m. on Fridays and Saturdays.",
        "Transport",
        50.8850,
        4.7100,
        "",
        7,
        None,
    ),
    (
        "Wildflower verges instead of lawns",
        "Mow verges twice a year and let wildflowers grow for the bees.",
        "Parks",
        50.8720,
        4.7040,
        "Verges on Canal Road",
        5,
        None,
    ),
    (
        "Street lights on the canal path",
        "The canal path is dark after six in winter; add low lights.",
        "Safety",
        50.8860,
        4.6960,
        "Canal path",
        3,
        None,
    ),
]


def seed_streets(index: CampaignIndexPage) -> CampaignPage | None:
    if CampaignPage.objects.filter(slug=STREETS_SLUG).exists():
        return None
    campaign = index.add_child(
        instance=CampaignPage(
            title="Greener, safer streets",
            slug=STREETS_SLUG,
            question="What would make your street greener and safer?",
            voting_mode=VotingMode.SUPPORT,
            location_asked=True,
            map_lat=50.8798,
            map_lon=4.7005,
            map_zoom=14,
            support_threshold=10,
            answer_deadline_days=8,
            intro=[
                (
                    "paragraph",
                    "<p>Propose changes for your street, support your neighbours' ideas, and see what the city decides.</p>",
                )
            ],
        )
    )
    campaign.categories.add("Parks", "Transport", "Safety", "Culture")
    campaign.save_revision().publish()
    _phases(
        campaign, [("collecting", -45, 30), ("reviewing", 30, 60), ("closed", 60, 90)]
    )
    campaign = CampaignPage.objects.get(pk=campaign.pk)
    categories = {t.name: t for t in campaign.categories.all()}
    people = _demo_residents(
        [(f"street-{i}@demo.agora.test", f"Neighbour {i}") for i in range(30)]
    )
    residents = list(people.values())
    planner = User.objects.filter(groups__name=Role.PLANNER.value).first()
    for n, (title, text, cat, lat, lon, address, supports, answer) in enumerate(
        STREET_IDEAS
    ):
        idea = actions.do_propose_idea(
            residents[n],
            campaign,
            title=title,
            description=text,
            categories=[categories[cat]],
            tags=[cat.lower(), "street"],
            lat=lat,
            lon=lon,
            address=address,
        )
        for supporter in residents[n + 1 : n + 1 + supports]:
            actions.do_support_idea(supporter, idea)
        if answer and planner is not None:
            state, text_answer, days_ago = answer
            if state == "under_review":
                # Past the 8-day deadline without an answer: the answer record shows
                # it. Proposed a week before it reached the threshold, and the
                # timeline's "reached the threshold" entry on the day review began.
                reviewed = timezone.now() - timedelta(days=days_ago)
                Idea.objects.filter(pk=idea.pk).update(
                    state=IdeaState.UNDER_REVIEW,
                    created_at=reviewed - timedelta(days=7),
                    review_started_at=reviewed,
                )
                OfficialResponse.objects.filter(idea=idea, by__isnull=True).update(
                    created_at=reviewed
                )
                continue
            response = actions.do_change_status(planner, idea, state, text_answer)
            # Spread the story over past weeks so the answer record has real times.
            now = timezone.now()
            answered = now - timedelta(days=days_ago)
            reviewed = answered - timedelta(days=2 + n % 5)
            Idea.objects.filter(pk=idea.pk).update(
                created_at=reviewed - timedelta(days=7),
                review_started_at=reviewed,
                answered_at=answered,
            )
            OfficialResponse.objects.filter(idea=idea, by__isnull=True).update(
                created_at=reviewed
            )
            OfficialResponse.objects.filter(pk=response.pk).update(created_at=answered)
    return campaign


def seed(home: Any) -> list[CampaignPage]:
    """Add the demo campaigns under the home page; returns those created now."""
    made = []
    with transaction.atomic():
        index = _index(home)
        for fn in (seed_housing, seed_streets):
            campaign = fn(index)
            if campaign is not None:
                made.append(campaign)
    return made
