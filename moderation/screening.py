"""Screening at submission: what becomes of a new idea, thread or post.

Content apps call `screen_submission(...)` from their check_/do_ actions before
writing. It refuses suspended or banned residents, runs the automatic rules
(blocklist, links, repeated text, posting rate, new-account probation; each set
to "off", "hold" or "refuse" in settings.MODERATION_RULES) and applies the
forum's or campaign's pre-moderation. The rule that held an item is recorded so
the queue can filter by it.
"""

import hashlib
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Submission, Visibility


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

OFF, HOLD, REFUSE = "off", "hold", "refuse"

DEFAULT_RULES: dict[str, dict[str, Any]] = {
    # words: {"en": ["..."], "de": ["..."], "*": ["in every language"]}
    "blocklist": {"action": REFUSE, "words": {}},
    "links": {"action": HOLD, "max_links": 3},
    "repeated_text": {"action": HOLD, "window_hours": 24, "min_length": 20},
    "rate": {"action": REFUSE, "max_items": 30, "window_minutes": 10},
    # The first K contributions of every account wait for a moderator (0 = off).
    "probation": {"action": HOLD, "first_contributions": 0},
}

RULE_LABELS = {
    "blocklist": _("Blocked words"),
    "links": _("Too many links"),
    "repeated_text": _("Repeated text"),
    "rate": _("Posting rate"),
    "probation": _("New-account probation"),
    "premoderation": _("Pre-moderation"),
    "flags": _("Flagged by residents"),
}

MESSAGES = {
    ("blocklist", HOLD): _(
        "Your text contains a word a moderator checks before it appears. "
        "Only you can see it until then."
    ),
    ("blocklist", REFUSE): _(
        "Your text contains a word this site does not accept (“%(word)s”). "
        "Please rephrase it and send it again; what you wrote is kept."
    ),
    ("links", HOLD): _(
        "Texts with many links are read by a moderator before they appear. "
        "Only you can see this one until then."
    ),
    ("links", REFUSE): _(
        "Your text has %(n)d links; at most %(max)d are allowed. "
        "Remove some and send it again."
    ),
    ("repeated_text", HOLD): _(
        "You posted this same text before, so a moderator reads it before it "
        "appears. Only you can see it until then."
    ),
    ("repeated_text", REFUSE): _(
        "You already posted this same text. Write something new, or change it "
        "before sending it again."
    ),
    ("rate", HOLD): _(
        "You are posting very often, so a moderator reads this before it appears. "
        "Only you can see it until then."
    ),
    ("rate", REFUSE): _(
        "You have sent %(n)d contributions in %(minutes)d minutes, the most this "
        "site allows. Please wait a few minutes and try again; what you wrote is kept."
    ),
    ("probation", HOLD): _(
        "Welcome! The first contributions of a new account are read by a moderator "
        "before they appear. Only you can see this one until then."
    ),
    ("probation", REFUSE): _(
        "New accounts cannot contribute here yet. Please come back in a little while."
    ),
}

LINK_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
WORD_RE = re.compile(r"\w+", re.UNICODE)


def rules() -> dict[str, dict[str, Any]]:
    """The rules in force: the defaults, each overridden key by key from settings."""
    configured = getattr(settings, "MODERATION_RULES", {})
    return {
        name: {**defaults, **configured.get(name, {})}
        for name, defaults in DEFAULT_RULES.items()
    }


@dataclass
class _Outcome:
    rule: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return str(MESSAGES[(self.rule, self.action)]) % self.params


def text_digest(text: str) -> str:
    normal = " ".join(WORD_RE.findall(text.casefold()))
    return hashlib.sha256(normal.encode()).hexdigest()


def _blocklist(author: Any, text: str, config: dict[str, Any], ctx: dict) -> Any:
    words_by_lang: dict[str, list[str]] = config.get("words") or {}
    if not words_by_lang:
        return None
    langs = {"*", get_language() or "", getattr(author, "preferred_language", "")}
    blocked = {
        w.casefold()
        for lang in langs
        for w in words_by_lang.get(lang, []) + words_by_lang.get(lang[:2], [])
    }
    for word in WORD_RE.findall(text.casefold()):
        if word in blocked:
            return {"word": word}
    return None


def _links(author: Any, text: str, config: dict[str, Any], ctx: dict) -> Any:
    n = len(LINK_RE.findall(text))
    if n > int(config["max_links"]):
        return {"n": n, "max": int(config["max_links"])}
    return None


def _repeated_text(author: Any, text: str, config: dict[str, Any], ctx: dict) -> Any:
    if len(text.strip()) < int(config["min_length"]):
        return None
    since = timezone.now() - timedelta(hours=float(config["window_hours"]))
    if Submission.objects.filter(
        author_id=author.pk, digest=ctx["digest"], created_at__gte=since
    ).exists():
        return {}
    return None


def _rate(author: Any, text: str, config: dict[str, Any], ctx: dict) -> Any:
    if ctx["staff"]:
        return None
    minutes = int(config["window_minutes"])
    since = timezone.now() - timedelta(minutes=minutes)
    n = Submission.objects.filter(author_id=author.pk, created_at__gte=since).count()
    if n >= int(config["max_items"]):
        return {"n": n, "minutes": minutes}
    return None


def _probation(author: Any, text: str, config: dict[str, Any], ctx: dict) -> Any:
    k = int(config["first_contributions"])
    if k <= 0 or ctx["staff"]:
        return None
    if Submission.objects.filter(author_id=author.pk).count() < k:
        return {}
    return None


RULE_CHECKS: dict[str, Callable[[Any, str, dict[str, Any], dict], Any]] = {
    "blocklist": _blocklist,
    "rate": _rate,
    "links": _links,
    "repeated_text": _repeated_text,
    "probation": _probation,
}


# Rules about the text itself; the others are about the contribution being new.
TEXT_RULES = {"blocklist", "links"}


@dataclass
class PendingScreening:
    """The last screening in this context, so the queue item made when the held
    content is saved knows the rule (and a new thread's opening post joins it)."""

    author_id: Any
    rule: str
    reason: str
    item_id: int | None = None


current_screening: ContextVar[PendingScreening | None] = ContextVar(
    "moderation_current_screening", default=None
)


def screen_submission(
    author: Any,
    text: str,
    *,
    premoderated: bool = False,
    kind: str = "",
    record: bool = True,
) -> Screening:
    """Decide the initial visibility of new content, or raise SubmissionRefused.

    `record=False` is for edits: the text is screened (blocklist, links) but not
    counted as a new contribution, so rate, repetition and probation do not apply.
    """
    from accounts.roles import ADMIN_ROLES, has_role

    from .sanctions import ParticipationRefused, check_can_participate

    current_screening.set(None)
    try:
        check_can_participate(author)
    except ParticipationRefused as refusal:
        raise SubmissionRefused(str(refusal)) from refusal
    authenticated = author is not None and getattr(author, "is_authenticated", False)
    ctx = {
        "digest": text_digest(text),
        "staff": authenticated and any(has_role(author, r) for r in ADMIN_ROLES),
    }
    held: _Outcome | None = None
    if authenticated:
        for name, config in rules().items():
            # An edit is not a new contribution: only what its text says matters.
            if config["action"] == OFF or (not record and name not in TEXT_RULES):
                continue
            params = RULE_CHECKS[name](author, text, config, ctx)
            if params is None:
                continue
            outcome = _Outcome(name, config["action"], params)
            if outcome.action == REFUSE:
                raise SubmissionRefused(outcome.message())
            held = held or outcome
        if record:
            Submission.objects.create(author=author, kind=kind, digest=ctx["digest"])
    if held is not None:
        screening = Screening(Visibility.PENDING, held.message(), held.rule)
    elif premoderated:
        screening = Screening(
            Visibility.PENDING, str(PREMODERATION_REASON), "premoderation"
        )
    else:
        return Screening(Visibility.PUBLISHED)
    current_screening.set(
        PendingScreening(getattr(author, "pk", None), screening.rule, screening.reason)
    )
    return screening
