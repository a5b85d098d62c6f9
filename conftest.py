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
def _wagtail_page_tree(request):
    """Every database test starts with the page-tree root, root collection and locale that
    Wagtail's migrations made: transactional tests (browser, concurrency) end with a
    flush that removes them, and whatever test runs next would find no tree."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        from django.conf import settings
        from wagtail.models import Collection, Locale, Page

        if not Locale.objects.exists():
            Locale.objects.create(language_code=settings.LANGUAGE_CODE)
        if Page.get_first_root_node() is None:
            Page.add_root(title="Root", slug="root")
        if Collection.get_first_root_node() is None:
            Collection.add_root(name="Root")
        # A running server keeps the city's brand cached (home.brand: one query per
        # cache miss, then none); tests start the same way, so that query-count
        # budgets measure the page, not a cold brand cache.
        from accounts.brand import current_brand

        current_brand()
    yield
