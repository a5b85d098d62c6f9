"""Screening at submission: what becomes of a new idea, thread or post.

Content apps call `screen_submission(...)` from their check_/do_ actions before
writing. Today it applies pre-moderation (the forum's or campaign's setting); the
moderation capability adds automatic rules (blocklist, links, repetition, rate,
new-account probation) and sanctions behind this same function, so callers never
change.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import Visibility


class SubmissionRefused(Exception):
    """The submission may not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Screening:
    visibility: str
    reason: str = ""
    rule: str = ""


PREMODERATION_REASON = _(
    "New contributions here are read by a moderator before they appear. "
    "Only you can see this one until then."
)


def screen_submission(
    author: Any, text: str, *, premoderated: bool = False, kind: str = ""
) -> Screening:
    """Decide the initial visibility of new content, or raise SubmissionRefused."""
    if premoderated:
        return Screening(Visibility.PENDING, str(PREMODERATION_REASON), "premoderation")
    return Screening(Visibility.PUBLISHED)
