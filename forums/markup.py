"""Post bodies: a safe Markdown subset rendered once, at write time, then sanitised with nh3.

CommonMark without raw HTML or images; links get rel="nofollow ugc"; "@Display
Name" becomes a link to that resident's public page when exactly one active
account has that display name (case-insensitive).
"""

import re
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.urls import reverse
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

MAX_MENTIONS = 10
MAX_MENTION_WORDS = 4
# "@" at the start or after a space/punctuation (not inside an e-mail address).
MENTION_START = re.compile(r"(?:(?<=^)|(?<=[\s(\[{>\"'])|(?<=^\W))@(?=\w)")
TRAILING_PUNCTUATION = ".,;:!?)]}\"'"

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_CLASSES = {"a": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass
class Rendered:
    html: str
    mentioned: list[Any] = field(default_factory=list)


def mention_candidates(text: str) -> dict[str, str]:
    """Lower-cased candidate names after each "@": one to four words."""
    candidates: dict[str, str] = {}
    for match in MENTION_START.finditer(text):
        words = text[match.end() : match.end() + 80].split()[:MAX_MENTION_WORDS]
        for n in range(1, len(words) + 1):
            name = " ".join(words[:n]).rstrip(TRAILING_PUNCTUATION)
            if name:
                candidates[name.lower()] = name
        if len(candidates) > MAX_MENTIONS * MAX_MENTION_WORDS:
            break
    return candidates


def resolve_mentions(text: str) -> dict[str, Any]:
    """{lower-cased display name: user} for the names mentioned in `text` (one query)."""
    candidates = mention_candidates(text)
    if not candidates:
        return {}
    User = get_user_model()
    found: dict[str, list[Any]] = {}
    users = (
        User.objects.filter(is_active=True)
        .annotate(name_lower=Lower("display_name"))
        .filter(name_lower__in=list(candidates))
        .only("pk", "display_name")
    )
    for user in users:
        found.setdefault(user.name_lower, []).append(user)
    # Two accounts with the same name: link neither rather than notify the wrong one.
    return {name: people[0] for name, people in found.items() if len(people) == 1}


def _mention_rule(state: StateCore) -> None:
    mentions: dict[str, Any] = state.env.get("mentions") or {}
    if not mentions:
        return
    longest = max(len(name) for name in mentions)
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for child in block.children:
            if child.type == "link_open":
                in_link += 1
            elif child.type == "link_close":
                in_link -= 1
            if child.type == "text" and not in_link and "@" in child.content:
                children.extend(
                    _split_mentions(child.content, mentions, longest, state)
                )
            else:
                children.append(child)
        block.children = children


def _split_mentions(
    text: str, mentions: dict[str, Any], longest: int, state: StateCore
) -> list[Token]:
    tokens: list[Token] = []
    used: list[Any] = state.env.setdefault("mentioned", [])
    position = 0
    for match in MENTION_START.finditer(text):
        start = match.start()
        if start < position:
            continue
        rest = text[match.end() : match.end() + longest + 1]
        hit = None
        for name, user in mentions.items():
            if (
                rest.lower().startswith(name)
                and (len(rest) == len(name) or not rest[len(name)].isalnum())
                and (hit is None or len(name) > len(hit[0]))
            ):
                hit = (name, user)
        if hit is None:
            continue
        name, user = hit
        if start > position:
            tokens.append(_text(text[position:start]))
        link = Token("link_open", "a", 1)
        link.attrs = {
            "href": reverse("accounts:person", args=[user.pk]),
            "class": "mention",
        }
        tokens.extend(
            [link, _text("@" + rest[: len(name)]), Token("link_close", "a", -1)]
        )
        if user not in used:
            used.append(user)
        position = match.end() + len(name)
    if position < len(text):
        tokens.append(_text(text[position:]))
    return tokens


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "typographer": False}
    )
    md.disable(["image", "html_block", "html_inline"])
    md.core.ruler.push("agora_mentions", _mention_rule)
    return md


_md = _parser()


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc",
    )


def render_body(text: str, *, with_mentions: bool = True) -> Rendered:
    """Markdown source -> sanitised HTML, plus the residents it mentions (first 10)."""
    env: dict[str, Any] = {"mentions": resolve_mentions(text) if with_mentions else {}}
    html = _md.render(text, env)
    return Rendered(
        html=sanitise(html), mentioned=env.get("mentioned", [])[:MAX_MENTIONS]
    )
