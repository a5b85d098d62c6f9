"""Root pytest configuration: fixtures every test module can use."""

import pytest
from django.core.cache import cache

from tests.factories import TEST_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits (allauth's login limits, posting limits) live in the cache;
    # each test starts with none of another test's history.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def resident(db):
    return UserFactory()


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident)
    return client
