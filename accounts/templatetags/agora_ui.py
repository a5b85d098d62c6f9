"""Small pieces of the look every page shares: inline SVG icons and people's avatars.

Icons are inline SVG (no icon font, no external request, nothing the Content
Security Policy has to allow). Avatars are the person's uploaded picture or their
initials on a colour chosen from their id; both are made from fields already on
the user row, so a list of authors costs no query per row.
"""

import hashlib

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# 24 x 24 outline icons (paths drawn for Agora, stroke-based like Feather/Lucide).
ICONS: dict[str, str] = {
    "menu": '<path d="M3 6h18M3 12h18M3 18h18"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="m20 20-4-4"/>',
    "bell": '<path d="M6 8a6 6 0 0 1 12 0c0 7 3 8 3 8H3s3-1 3-8"/>'
    '<path d="M10 20a2 2 0 0 0 4 0"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "check": '<path d="m5 12 5 5 9-10"/>',
    "x": '<path d="M6 6l12 12M18 6 6 18"/>',
    "minus": '<path d="M5 12h14"/>',
    "pin": '<path d="M12 21s7-6.2 7-12a7 7 0 0 0-14 0c0 5.8 7 12 7 12z"/>'
    '<circle cx="12" cy="9" r="2.5"/>',
    "calendar": '<rect x="3" y="5" width="18" height="16" rx="2"/>'
    '<path d="M3 10h18M8 3v4M16 3v4"/>',
    "comment": '<path d="M4 5h16v11H9l-5 4z"/>',
    "heart": '<path d="M12 20s-8-5-8-11a4.5 4.5 0 0 1 8-2.8A4.5 4.5 0 0 1 20 9c0 6-8 11-8 11z"/>',
    "arrow-right": '<path d="M5 12h14M13 6l6 6-6 6"/>',
}

AVATAR_COLOURS = 8


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An inline SVG icon; decorative (aria-hidden) unless a label is given."""
    paths = ICONS.get(name)
    if paths is None:
        return mark_safe("")  # noqa: S308 - constant empty string
    if label:
        a11y = format_html('role="img" aria-label="{}"', label)
    else:
        a11y = mark_safe('aria-hidden="true"')  # noqa: S308 - constant
    return format_html(
        '<svg class="icon icon--{}" viewBox="0 0 24 24" width="20" height="20" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
        'stroke-linejoin="round" focusable="false" {}>{}</svg>',
        name,
        a11y,
        mark_safe(paths),  # noqa: S308 - paths are the constants above
    )


def initials(name: str) -> str:
    words = [w for w in name.split() if w[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar_colour(key: object) -> int:
    digest = hashlib.blake2s(str(key).encode(), digest_size=2).digest()
    return int.from_bytes(digest, "big") % AVATAR_COLOURS


@register.simple_tag
def avatar(user: object, size: int = 32) -> SafeString:
    """The person's picture, or their initials. Decorative: the name is always
    written beside it, so screen readers are not told the name twice."""
    size = 48 if int(size) > 32 else 32 if int(size) > 24 else 24
    if user is None or not getattr(user, "pk", None):
        return format_html(
            '<span class="avatar avatar--{} avatar--none" aria-hidden="true">?</span>',
            size,
        )
    picture = getattr(user, "avatar", None)
    if picture:
        return format_html(
            '<img class="avatar avatar--{}" src="{}" alt="" width="{}" height="{}" '
            'loading="lazy">',
            size,
            picture.url,
            size,
            size,
        )
    name = getattr(user, "display_name", "") or ""
    return format_html(
        '<span class="avatar avatar--{} avatar--c{}" aria-hidden="true">{}</span>',
        size,
        avatar_colour(user.pk),
        initials(name),
    )
