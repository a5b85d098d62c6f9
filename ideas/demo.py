"""Demo campaigns for `seed_demo`: one built from a real Pol.is conversation (votes
included), one in support mode with located ideas and answers in several states."""

from __future__ import annotations

import csv
import secrets
from datetime import timedelta
from decimal import Decimal
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
    Implementation,
    Milestone,
    OfficialResponse,
    Phase,
    ProgressUpdate,
    Vote,
    VoteChoice,
    VotingMode,
)
from .workdays import add_working_days

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
    if planner is not None:
        _seed_followthrough(campaign, planner, residents)
    return campaign


def _seed_followthrough(
    campaign: CampaignPage, planner: User, residents: list[User]
) -> None:
    """Progress on accepted ideas, arguments, a past meeting with minutes and the
    ideas recorded there, and a meeting to come. Dates are relative to now and to
    the answers above (the crossing was answered 5 days ago, the trees 30)."""
    now = timezone.now()
    ideas = {i.title: i for i in campaign.ideas.all()}
    crossing = ideas["Safer crossing at the school gate"]
    impl = Implementation.objects.get(subject_kind="idea", subject_id=crossing.pk)
    Implementation.objects.filter(pk=impl.pk).update(budget_amount=Decimal(48000))
    for title, due, done in (
        ("Design approved with the school", -12, -12),
        ("Works start", -4, -4),
        ("Crossing open", 10, None),
    ):
        Milestone.objects.create(
            implementation=impl,
            title=title,
            due_on=(now + timedelta(days=due)).date(),
            done_on=(now + timedelta(days=done)).date() if done is not None else None,
        )
    for days_ago, text, progress, spent in (
        (4, "The contractor closed Lime Lane and removed the old kerbs.", 30, 14000),
        (1, "The raised table is poured; markings and signs come next.", 65, 19500),
    ):
        update = actions.do_post_progress(
            planner,
            impl,
            text=text,
            progress=progress,
            status="in_progress",
            spent=spent,
        )
        ProgressUpdate.objects.filter(pk=update.pk).update(
            created_at=now - timedelta(days=days_ago)
        )
    Implementation.objects.filter(pk=impl.pk).update(updated_at=now - timedelta(days=1))
    trees = ideas["Trees along Station Street"]
    trees_impl = Implementation.objects.get(subject_kind="idea", subject_id=trees.pk)
    update = actions.do_post_progress(
        planner,
        trees_impl,
        text="All 24 lindens are planted and watered; the nursery cares for them "
        "for two years.",
        status="completed",
        spent=36200,
    )
    ProgressUpdate.objects.filter(pk=update.pk).update(
        created_at=now - timedelta(days=30)
    )
    # Arguments for and against the cycle lane, from different neighbours (the
    # forums posting interval is per person).
    lane = ideas["A protected cycle lane on the ring road"]
    for person, side, text in (
        (residents[20], "for", "Children could cycle to school safely."),
        (residents[21], "for", "Fewer cars on the ring means cleaner air."),
        (residents[22], "against", "Deliveries to the shops would get harder."),
        (residents[23], "against", "The lane takes 40 parking places."),
    ):
        actions.do_add_point(person, lane, side, text)
    # A meeting twelve days ago (inside the collecting phase) with its minutes and
    # three ideas staff recorded in the room.
    start = (now - timedelta(days=12)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    past = actions.do_create_meeting(
        planner,
        campaign,
        title="Neighbourhood evening: our streets",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Community centre, Lime Lane 12",
        capacity=60,
        description="An evening to collect ideas for greener, safer streets.",
    )
    for title, text in (
        (
            "Planters instead of bollards",
            "Replace the grey bollards on Church Street with planters.",
        ),
        (
            "A car-free Sunday each month",
            "Close the centre to cars on the first Sunday of the month.",
        ),
        (
            "Benches at the bus stops",
            "Older residents wait standing at the stops on Canal Road.",
        ),
    ):
        idea = actions.do_record_idea(
            planner,
            campaign,
            source="meeting",
            title=title,
            description=text,
            meeting=past,
            submitter_name="Neighbourhood evening",
        )
        Idea.objects.filter(pk=idea.pk).update(created_at=start + timedelta(hours=1))
    actions.do_record_minutes(
        planner,
        past,
        "41 residents came. The city presented the answers so far; residents "
        "raised parking, planters and shade. Three ideas were recorded and are "
        "now on the campaign page; the next evening follows in a few days.",
    )
    actions.do_set_attendance_count(planner, past, 41)
    upcoming_start = (now + timedelta(days=6)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    upcoming = actions.do_create_meeting(
        planner,
        campaign,
        title="Walk-through: the new school crossing",
        starts_at=upcoming_start,
        ends_at=upcoming_start + timedelta(hours=1),
        place="Lime Lane school gate",
        capacity=12,
    )
    for person in residents[:5]:
        actions.do_register_meeting(person, upcoming)


REPORTS_SLUG = "fix-my-street"
# Located reports around the centre: (title, category, dlat, dlon, story, days ago)
# story: open (within its deadline), on_time, late, overdue (escalated).
REPORTS = [
    ("Pothole at the Naamsestraat crossing", "Roads", 0.0010, 0.0012, "on_time", 20),
    ("Loose paving stones by the bakery", "Roads", -0.0021, 0.0008, "late", 18),
    ("Deep pothole on Tiensestraat", "Roads", 0.0035, -0.0015, "overdue", 16),
    ("Sunken drain cover on Canal Road", "Roads", 0.0062, -0.0044, "open", 1),
    ("Street light out on the canal path", "Lighting", 0.0058, -0.0046, "overdue", 14),
    ("Flickering lamp at the bus stop", "Lighting", -0.0011, -0.0020, "on_time", 9),
    ("Dark underpass by the station", "Lighting", 0.0014, 0.0140, "open", 0),
    ("Overflowing bin in City Park", "Waste", -0.0030, 0.0071, "on_time", 12),
    ("Dumped mattress on Lime Lane", "Waste", 0.0031, 0.0044, "late", 22),
    ("Broken glass on the playground", "Waste", -0.0027, 0.0066, "open", 2),
]


def seed_reports(index: CampaignIndexPage) -> CampaignPage | None:
    """A report campaign (Our City / 311): three departments, routed categories,
    located reports answered on time, late, overdue and escalated, or open."""
    from django.contrib.auth.models import Group

    from .models import CampaignKind, CategoryRoute, Department, Report

    if CampaignPage.objects.filter(slug=REPORTS_SLUG).exists():
        return None
    planner = User.objects.filter(groups__name=Role.PLANNER.value).first()
    if planner is None:
        return None
    campaign = index.add_child(
        instance=CampaignPage(
            title="Fix my street",
            slug=REPORTS_SLUG,
            question="Seen something broken in the street? Tell the city.",
            kind=CampaignKind.REPORTS,
            location_asked=True,
            map_lat=50.8798,
            map_lon=4.7005,
            map_zoom=14,
            answer_working_days=8,
            featured=False,
        )
    )
    campaign.categories.add("Roads", "Lighting", "Waste")
    campaign.save_revision().publish()
    _phases(campaign, [("collecting", -60, 300)])
    campaign = CampaignPage.objects.get(pk=campaign.pk)
    categories = {t.name: t for t in campaign.categories.all()}
    departments = {}
    for name in ("Roads", "Lighting", "Waste"):
        group, _created = Group.objects.get_or_create(name=f"{name} department")
        group.user_set.add(planner)
        departments[name], _created = Department.objects.get_or_create(
            name=f"{name} department",
            defaults={"staff_group": group, "lead": planner},
        )
        CategoryRoute.objects.create(
            campaign=campaign,
            category=categories[name],
            department=departments[name],
        )
    people = _demo_residents(
        [
            (f"report-{i}@demo.agora.test", f"Resident {i}")
            for i in range(len(REPORTS) + 6)
        ]
    )
    residents = list(people.values())
    now = timezone.now()
    for n, (title, cat, dlat, dlon, story, days_ago) in enumerate(REPORTS):
        report = actions.do_file_report(
            residents[n],
            campaign,
            title=title,
            description=f"{title}. Please have a look soon.",
            category=categories[cat],
            lat=50.8798 + dlat,
            lon=4.7005 + dlon,
            address=title.rsplit(" on ", 1)[-1] if " on " in title else "",
        )
        filed = now - timedelta(days=days_ago, hours=n)
        due = add_working_days(filed, campaign.answer_working_days)
        Idea.objects.filter(pk=report.idea_id).update(created_at=filed)
        Report.objects.filter(pk=report.pk).update(filed_at=filed, due_at=due)
        report.refresh_from_db()
        if story in ("on_time", "late"):
            answered = (
                filed + (due - filed) / 2
                if story == "on_time"
                else due + timedelta(days=3)
            )
            response = actions.do_answer_report(
                planner, report, "implemented", "Repaired by the team this week."
            )
            Report.objects.filter(pk=report.pk).update(answered_at=answered)
            Idea.objects.filter(pk=report.idea_id).update(answered_at=answered)
            OfficialResponse.objects.filter(pk=response.pk).update(created_at=answered)
        for other in residents[len(REPORTS) : len(REPORTS) + n % 4]:
            actions.do_me_too(other, report)
    # The scheduled job escalates what is past its deadline.
    actions.do_escalate_overdue_reports()
    return campaign


def seed(home: Any) -> list[CampaignPage]:
    """Add the demo campaigns under the home page; returns those created now."""
    made = []
    with transaction.atomic():
        index = _index(home)
        for fn in (seed_housing, seed_streets, seed_reports):
            campaign = fn(index)
            if campaign is not None:
                made.append(campaign)
    return made
