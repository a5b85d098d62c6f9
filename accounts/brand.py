"""The city's brand as every floor sees it: its name, logo and colours.

The brand is edited in the Wagtail admin (``home.BrandSettings``), but e-mails are
sent from lower floors (accounts, forums, ideas) that may not import ``home``. So
this module defines what a brand is and a slot for whoever provides it; ``home``
fills the slot when the app registry is ready. Without a provider the brand comes
from settings (``AGORA_SITE_NAME``), which is also what tests without ``home`` see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

DEFAULT_COLOURS = {"brand": "#0b5cad", "brand_dark": "#083f78", "accent": "#ffbf47"}


@dataclass(frozen=True)
class FooterLink:
    label: str
    url: str


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str = ""
    favicon_url: str = ""
    brand: str = DEFAULT_COLOURS["brand"]
    brand_dark: str = DEFAULT_COLOURS["brand_dark"]
    accent: str = DEFAULT_COLOURS["accent"]
    footer_links: tuple[FooterLink, ...] = field(default_factory=tuple)
    footer_text: str = ""
    version: str = "0"

    @property
    def logo(self) -> _Url | None:
        # Templates write {{ brand.logo.url }} whichever way the logo is stored.
        return _Url(self.logo_url) if self.logo_url else None


@dataclass(frozen=True)
class _Url:
    url: str


_provider: Callable[[], Brand] | None = None


def register_brand_provider(provider: Callable[[], Brand]) -> None:
    global _provider
    _provider = provider


def default_brand() -> Brand:
    return Brand(name=settings.WAGTAIL_SITE_NAME)


def current_brand() -> Brand:
    """The brand to show now; never raises (a broken brand must not break a page)."""
    if _provider is None:
        return default_brand()
    return _provider()
