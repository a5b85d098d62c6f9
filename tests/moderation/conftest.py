"""Fixtures for moderation stories: a forum with a thread, residents, two moderators."""

import pytest
from django.test import override_settings

from accounts.roles import Role
from tests.factories import NO_FORUM_RATE_LIMITS, UserFactory, make_forum


@pytest.fixture(autouse=True)
def _no_forum_rate_limit():
    # The forum's own posting interval would refuse these quick stories.
    with override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS):
        yield


@pytest.fixture
def forum(db):
    return make_forum("Town square")


@pytest.fixture
def ana(db):
    return UserFactory(display_name="Ana Lima")


@pytest.fixture
def ben(db):
    return UserFactory(display_name="Ben Okafor")


@pytest.fixture
def mia(db):
    return UserFactory(display_name="Mia Moderator", roles=[Role.MODERATOR])


@pytest.fixture
def max_(db):
    return UserFactory(display_name="Max Moderator", roles=[Role.MODERATOR])


@pytest.fixture
def thread(forum, ana):
    from forums.actions import do_start_thread

    return do_start_thread(ana, forum, "Benches by the river", "We need more benches.")


@pytest.fixture
def post(thread, ana):
    return thread.posts.get()
