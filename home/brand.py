"""The city's brand, edited without code: name, logo, colours and footer links.

`BrandSettings` is a Wagtail setting (Settings → Brand in the admin). Pages read it
through `accounts.brand.current_brand()`, which this module fills from a cached copy
so that a page view costs no query for it; saving the setting drops the cache. The
colours reach the page as CSS custom properties in a small stylesheet
(`/brand.css?v=<version>`), because the Content Security Policy allows no inline
style.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import StreamField

from accounts.brand import DEFAULT_COLOURS, Brand, FooterLink, default_brand

CACHE_KEY = "agora:brand:v1"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def darken(hex_colour: str, factor: float = 0.72) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


def validate_hex_colour(value: str) -> None:
    if not HEX_COLOUR.match(value or ""):
        raise ValidationError(
            _("Write the colour as # and six hexadecimal digits, e.g. #0b5cad.")
        )


class FooterLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("label"), max_length=60)
    url = blocks.CharBlock(
        label=_("address"),
        max_length=300,
        help_text=_("A full address (https://…) or a path on this site (/about/)."),
    )

    class Meta:
        icon = "link"
        label = _("footer link")


@register_setting(icon="pick")
class BrandSettings(BaseGenericSetting):
    """The city's look; one per installation (Settings → Brand in the admin)."""

    city_name = models.CharField(
        _("city or site name"),
        max_length=80,
        blank=True,
        help_text=_(
            "Shown in the header, page titles and e-mails. Empty: AGORA_SITE_NAME."
        ),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A square image works best; it is also the favicon."),
    )
    brand_colour = models.CharField(
        _("main colour"),
        max_length=7,
        default=DEFAULT_COLOURS["brand"],
        validators=[validate_hex_colour],
        help_text=_("Buttons and links; needs a contrast of 4.5:1 on white."),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        default=DEFAULT_COLOURS["accent"],
        validators=[validate_hex_colour],
        help_text=_("Keyboard focus and badges; must stand out from the main colour."),
    )
    footer_text = models.CharField(_("footer text"), max_length=200, blank=True)
    footer_links = StreamField(
        [("link", FooterLinkBlock())],
        verbose_name=_("footer links"),
        blank=True,
        max_num=12,
    )

    panels = [
        FieldPanel("city_name"),
        FieldPanel("logo"),
        MultiFieldPanel(
            [FieldPanel("brand_colour"), FieldPanel("accent_colour")],
            heading=_("Colours"),
        ),
        FieldPanel("footer_text"),
        FieldPanel("footer_links"),
    ]

    class Meta:
        verbose_name = _("brand")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        colour = self.brand_colour or ""
        if HEX_COLOUR.match(colour) and contrast(colour, "#ffffff") < 4.5:
            errors["brand_colour"] = _(
                "White text on this colour is hard to read (contrast below "
                "4.5:1). Choose a darker colour."
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        cache.delete(CACHE_KEY)

    def as_brand(self) -> Brand:
        logo_url = favicon_url = ""
        if self.logo_id:
            try:
                logo_url = self.logo.get_rendition("height-80").url
                favicon_url = self.logo.get_rendition("fill-64x64").url
            except Exception:  # noqa: BLE001 - a missing file must not break pages
                logo_url = favicon_url = ""
        links = tuple(
            FooterLink(label=b.value["label"], url=b.value["url"])
            for b in self.footer_links
            if _safe_url(b.value["url"])
        )
        fingerprint = "|".join(
            [self.brand_colour, self.accent_colour, logo_url, favicon_url]
        )
        return Brand(
            name=self.city_name or default_brand().name,
            logo_url=logo_url,
            favicon_url=favicon_url,
            brand=self.brand_colour.lower(),
            brand_dark=darken(self.brand_colour.lower()),
            accent=self.accent_colour.lower(),
            footer_links=links,
            footer_text=self.footer_text,
            version=hashlib.sha256(fingerprint.encode()).hexdigest()[:10],
        )


def _safe_url(url: str) -> bool:
    # No javascript: or data: links in the footer, whoever edits it.
    return url.startswith(
        ("https://", "http://", "/", "mailto:")
    ) and not url.startswith("//")


def cached_brand() -> Brand:
    brand = cache.get(CACHE_KEY)
    if brand is None:
        settings_row = BrandSettings.base_queryset().select_related("logo").first()
        brand = settings_row.as_brand() if settings_row else default_brand()
        cache.set(CACHE_KEY, brand, 3600)
    return brand


def brand_stylesheet(brand: Brand) -> str:
    return (
        "/* The city's colours, from Settings → Brand. */\n"
        ":root {\n"
        f"    --brand: {brand.brand};\n"
        f"    --brand-dark: {brand.brand_dark};\n"
        f"    --focus: {brand.accent};\n"
        "}\n"
    )
