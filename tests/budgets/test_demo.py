"""The demo city's budgets: Wieliczka's green budget replayed and carried out, and a
district budget open for voting."""

import pytest

from accounts.demo import seed_accounts
from budgets.demo import seed
from budgets.models import BudgetPage, Project
from home.demo import seed_home
from ideas.models import Implementation

pytestmark = pytest.mark.django_db


def test_demo_budgets_are_seeded_once():
    home, _ = seed_home()
    seed_accounts()
    made = seed(home)
    assert len(made) == 2
    green = BudgetPage.objects.get(source_meta__unit="Wieliczka")
    assert green.phase == "implementation" and green.theme
    assert green.results_published_at is not None
    funded = Project.objects.filter(budget=green, funded=True)
    assert funded.count() == 30  # the city's 30 winners
    assert (
        Implementation.objects.filter(
            scope=f"budget.{green.pk}", progress__gt=0
        ).count()
        == 3
    )
    district = BudgetPage.objects.get(slug="neighbourhood-budget")
    assert district.phase == "voting" and district.allows("vote")
    assert [d.name for d in district.district_list()] == ["North", "South"]
    assert (
        Project.objects.filter(budget=district, feasibility="unfeasible")
        .exclude(feasibility_reason="")
        .exists()
    )
    assert seed(home) == []
