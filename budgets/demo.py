"""Demo budgets for `seed_demo`: Wieliczka's real 2023 Green Budget, replayed from its
Pabulib file, counted, in its implementation phase with progress on funded projects;
and a district budget open for voting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ideas.actions import do_post_progress
from ideas.models import Idea, Implementation

from . import actions
from .models import BudgetPage, District, Feasibility, Project
from .phases import BudgetPhase
from .tracking import TRACKED_KIND

DATA = Path(__file__).resolve().parent / "data" / "pabulib"
WIELICZKA = DATA / "Poland_Wieliczka_2023_Green_Budget.pb"
PABULIB_ATTRIBUTION = (
    "Election data from Pabulib (pabulib.org), the open library of participatory "
    "budgeting data: Faliszewski, Flis, Peters, Pierczyński, Skowron, Stolicki, Szufa, "
    "Talmon, “Participatory Budgeting: Data, Tools and Analysis”, IJCAI 2023."
)

GREEN_UPDATES = [
    ("Cameras ordered; the first five are up at the worst dumping spots.", 60, 2500),
    ("Planting plan agreed with the parish; work starts in October.", 20, 8000),
    ("First 40 cats and dogs sterilised and chipped with partner vets.", 45, 30000),
]

DISTRICT_PROJECTS = [
    # title, cost, district, lat, lon, category, description
    (
        "Shade trees on the market square",
        60_000,
        None,
        50.0614,
        19.9372,
        "Greenery",
        "Twenty large trees in planters, so the square is cooler in summer.",
    ),
    (
        "Free repair café in the library",
        15_000,
        None,
        50.0640,
        19.9450,
        "Culture",
        "Tools and volunteers once a month; nothing thrown away that can be fixed.",
    ),
    (
        "Safe crossing by the North school",
        45_000,
        "North",
        50.0750,
        19.9400,
        "Streets",
        "A raised crossing and a flashing sign where children cross every morning.",
    ),
    (
        "Outdoor gym in North park",
        38_000,
        "North",
        50.0770,
        19.9330,
        "Sport",
        "Ten machines for all ages beside the running track.",
    ),
    (
        "Community garden at the old depot",
        30_000,
        "North",
        50.0790,
        19.9480,
        "Greenery",
        "Raised beds, a shed and water for forty households.",
    ),
    (
        "Benches and shade on South riverside",
        25_000,
        "South",
        50.0480,
        19.9420,
        "Public space",
        "Thirty benches along the path, under new trees.",
    ),
    (
        "Youth music room in the South centre",
        55_000,
        "South",
        50.0450,
        19.9500,
        "Culture",
        "Sound-proofing and instruments for a room teenagers can book.",
    ),
    (
        "Bike racks at South station",
        12_000,
        "South",
        50.0430,
        19.9350,
        "Streets",
        "Covered racks for sixty bikes by the platforms.",
    ),
]


def _planner() -> User | None:
    return User.objects.filter(email="planner@agora.test").first()


def seed_green(home: Any, planner: User) -> BudgetPage | None:
    if BudgetPage.objects.filter(source_meta__unit="Wieliczka").exists():
        return None
    budget = actions.do_import_pabulib(
        home,
        WIELICZKA.read_text(encoding="utf-8-sig"),
        title="Green Budget 2023 (Wieliczka's Zielony Milion)",
        phase=BudgetPhase.VOTING,
    )
    budget.theme = "Green projects only"
    budget.intro = (
        "A real election, replayed: 6,586 residents of Wieliczka chose how to spend "
        "one million złoty on green projects, counted with the Method of Equal Shares."
    )
    budget.attribution = PABULIB_ATTRIBUTION
    budget.save_revision().publish()
    budget = BudgetPage.objects.get(pk=budget.pk)
    actions.do_publish_results(None, budget)
    actions.do_change_phase(planner, budget, BudgetPhase.IMPLEMENTATION)
    funded = list(
        Project.objects.filter(budget=budget, funded=True).order_by("-vote_count")[:3]
    )
    for project, (text, progress, spent) in zip(funded, GREEN_UPDATES, strict=False):
        impl = Implementation.objects.get(
            subject_kind=TRACKED_KIND, subject_id=project.pk
        )
        do_post_progress(
            planner,
            impl,
            text=text,
            progress=progress,
            status="in_progress",
            spent=spent,
        )
    return budget


def seed_districts(home: Any, planner: User) -> BudgetPage | None:
    if BudgetPage.objects.filter(slug="neighbourhood-budget").exists():
        return None
    budget = BudgetPage(
        title="Neighbourhood budget",
        slug="neighbourhood-budget",
        intro=(
            "300,000 EUR: 100,000 for the whole city and 100,000 for each district. "
            "Pick projects until the money runs out; your district's projects are "
            "on your ballot next to the city-wide ones."
        ),
        total=300_000,
        currency="EUR",
        phase=BudgetPhase.REVIEW,
        categories="Culture,Greenery,Public space,Sport,Streets",
        counts_public=True,
        verified_only=True,
        map_lat=50.062,
        map_lon=19.940,
        map_zoom=13,
        voting_closes_at=timezone.now() + timedelta(days=21),
    )
    home.add_child(instance=budget)
    budget.save_revision().publish()
    north = District.objects.create(
        budget=budget, name="North", amount=100_000, sort_order=0
    )
    south = District.objects.create(
        budget=budget, name="South", amount=100_000, sort_order=1
    )
    districts = {"North": north, "South": south}
    for i, (title, cost, district, lat, lon, category, description) in enumerate(
        DISTRICT_PROJECTS, start=1
    ):
        Project.objects.create(
            budget=budget,
            title=title,
            description=description,
            category=category,
            district=districts.get(district or ""),
            lat=lat,
            lon=lon,
            cost=cost,
            feasibility=Feasibility.FEASIBLE,
            external_id=str(i),
        )
    unfeasible = Project.objects.create(
        budget=budget,
        title="Tram line to the airport",
        description="A new tram line.",
        category="Streets",
        external_id=str(len(DISTRICT_PROJECTS) + 1),
    )
    actions.do_review_project(
        planner,
        unfeasible,
        cost=None,
        feasibility=Feasibility.UNFEASIBLE,
        reason="A tram line costs far more than this budget, and the region runs trams.",
    )
    idea = Idea.objects.filter(
        visibility="published", budget_project__isnull=True
    ).first()
    if idea is not None:
        project = actions.do_convert_idea(planner, budget, idea)
        actions.do_review_project(planner, project, cost=20_000, feasibility="feasible")
    budget = BudgetPage.objects.get(pk=budget.pk)
    actions.do_change_phase(planner, budget, BudgetPhase.VOTING)
    return budget


def seed(home: Any) -> list[BudgetPage]:
    planner = _planner()
    if planner is None:
        return []
    made = []
    with transaction.atomic():
        for fn in (seed_green, seed_districts):
            budget = fn(home, planner)
            if budget is not None:
                made.append(budget)
    return made
