"""Every e-mail Agora sends, in the city's name: a text body and a branded HTML twin.

Apps write their mails as plain text templates (they read well in any client and
are what the tests assert); `branded_message` adds the HTML alternative made from
that same text, in the city's colours and with its name, so nothing is written twice.
allauth's account mails get the same treatment through `accounts.adapter`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from .brand import Brand, current_brand


@dataclass(frozen=True)
class BrandSite:
    """What allauth's templates call `current_site`: the city, not the host."""

    name: str
    domain: str


def brand_site(brand: Brand | None = None) -> BrandSite:
    brand = brand or current_brand()
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return BrandSite(name=brand.name, domain=base.split("://", 1)[-1])


def html_from_text(text: str, subject: str, brand: Brand | None = None) -> str:
    brand = brand or current_brand()
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    logo = brand.logo_url
    if logo.startswith("/"):
        logo = base + logo
    return render_to_string(
        "email/branded.html",
        {
            "text": text,
            "subject": subject,
            "brand": brand,
            "base_url": base,
            "logo": logo,
        },
    )


def branded_message(
    subject: str,
    text: str,
    to: Sequence[str],
    from_email: str | None = None,
    connection: object | None = None,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject,
        text,
        from_email or settings.DEFAULT_FROM_EMAIL,
        list(to),
        connection=connection,
    )
    message.attach_alternative(html_from_text(text, subject), "text/html")
    return message


def send_branded_mail(subject: str, text: str, to: Sequence[str]) -> int:
    return branded_message(subject, text, to).send()


def send_branded_mass_mail(
    messages: Sequence[tuple[str, str, Sequence[str]]],
) -> int:
    """(subject, text, recipients) each, over one connection."""
    connection = get_connection()
    return (
        connection.send_messages(
            [branded_message(s, t, to, connection=connection) for s, t, to in messages]
        )
        or 0
    )
