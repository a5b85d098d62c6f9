import pytest

from accounts.actions import do_verify_at_desk
from budgets.actions import do_change_phase
from tests.factories import CityAdminFactory, PlannerFactory, UserFactory, make_budget


@pytest.fixture
def planner(db):
    return PlannerFactory()


@pytest.fixture
def verify(db):
    """Verify residents the way a city desk does (accounts' one verification)."""
    desk = CityAdminFactory()

    def _verify(user=None, **attrs):
        user = user or UserFactory()
        do_verify_at_desk(desk, user, note="ID card seen", **attrs)
        return user

    return _verify


@pytest.fixture
def voting_budget(db, planner):
    """1,000 EUR, a knapsack ballot, four feasible projects; voting open."""
    budget = make_budget(
        total=1000,
        verified_only=True,
        projects=[("Trees", 400), ("Benches", 300), ("Library", 500), ("Lamps", 200)],
    )
    do_change_phase(planner, budget, "voting")
    return budget
