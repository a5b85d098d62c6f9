"""Screening at submission and who sees content that is not published."""

import pytest

from moderation.models import Visibility
from moderation.screening import screen_submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_premoderated_submission_waits_with_a_reason_for_its_author():
    author = UserFactory()
    held = screen_submission(author, "A bench by the river", premoderated=True)
    assert held.visibility == Visibility.PENDING
    assert "moderator" in held.reason
    assert screen_submission(author, "A bench").visibility == Visibility.PUBLISHED
