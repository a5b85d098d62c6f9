"""Fixtures for forum stories: a forum, two residents (Ana and Ben), a moderator."""

import pytest
from django.test import override_settings

from accounts.roles import Role
from tests.factories import UserFactory, make_forum

NO_RATE_LIMITS = {
    "interval_seconds": 0,
    "new_account_interval_seconds": 0,
    "new_account_hours": 24,
}


@pytest.fixture(autouse=True)
def _no_posting_rate_limit(request):
    """Stories post quickly; tests marked `rate_limited` keep the real limits."""
    if request.node.get_closest_marker("rate_limited"):
        yield
        return
    with override_settings(AGORA_FORUM_RATE_LIMITS=NO_RATE_LIMITS):
        yield


@pytest.fixture
def forum(db):
    return make_forum("Town square", rules="<p>Be kind.</p>")


@pytest.fixture
def ana(db):
    return UserFactory(display_name="Ana Lima")


@pytest.fixture
def ben(db):
    return UserFactory(display_name="Ben Okafor")


@pytest.fixture
def moderator(db):
    return UserFactory(display_name="Mo Derator", roles=[Role.MODERATOR])
