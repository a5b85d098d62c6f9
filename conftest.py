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


@pytest.fixture(autouse=True)
def _wagtail_root_after_flush(request):
    """Transactional tests (browser, concurrency) end with a flush that also removes
    the page-tree root Wagtail's migrations made; put it back for the next one."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("_django_db_helper")
        from django.conf import settings
        from wagtail.models import Locale, Page

        if not Locale.objects.exists():
            Locale.objects.create(language_code=settings.LANGUAGE_CODE)
        if Page.get_first_root_node() is None:
            Page.add_root(title="Root", slug="root")
    yield
