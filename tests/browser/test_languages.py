"""A visitor switches the site to Spanish, then to Russian, with the switcher in the
header: the home page, a campaign and an idea read wholly in that language (no English
string of Agora's catalogue is left in the page), dates are written the language's way,
and the scripts speak it too (Django's JavaScript catalogue)."""

import datetime
import re
from functools import cache

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from home.demo import seed_home
from tests.factories import IdeaFactory, UserFactory, make_campaign, make_forum

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")


@cache
def english_leftovers(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each English string of Agora's catalogue as whole-word patterns (placeholders
    split a string into its fixed parts)."""
    path = settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po:
        catalog = read_po(po)
    # A fragment that the translations themselves use ("ideas" in Spanish) is no sign.
    translated = " ".join(
        " ".join(m.string) if isinstance(m.string, tuple) else m.string
        for m in catalog
        if m.id
    )
    patterns = []
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        for part in PLACEHOLDER.split(message.id):
            part = part.strip(" .,:;()“”")
            if len(part) < 3 or not re.search(r"[A-Za-z]{3}", part):
                continue
            pattern = re.compile(rf"(?<!\w){re.escape(part)}(?!\w)")
            if not pattern.search(translated):
                patterns.append((part, pattern))
    return tuple(patterns)


def assert_no_english(page, language: str) -> None:
    # All the text of the page, hidden text for screen readers included; not the
    # switcher's options, which name each language in its own words ("English").
    text = page.evaluate(
        """() => {
            const body = document.body.cloneNode(true);
            body.querySelectorAll("select, script").forEach((e) => e.remove());
            return body.textContent;
        }"""
    )
    left = sorted(
        {part for part, pattern in english_leftovers(language) if pattern.search(text)}
    )
    assert not left, f"English left on {page.url} in {language}: {left}"


def open_menu(page) -> None:
    """On a phone the header's menu (a <details>) is folded: unfold it."""
    if not page.locator(".site-nav").is_visible():
        page.locator(".site-menu__toggle").click()


def switch_to(page, language_name: str, button: str) -> None:
    open_menu(page)
    page.get_by_role("combobox").select_option(label=language_name)
    page.get_by_role("button", name=button).click()


@pytest.fixture
def city():
    home, _created = seed_home()
    # The city writes its own page content in its own language; here it has none,
    # so that every word left on the page comes from Agora's catalogue.
    home.tagline = "Agora 2026"
    home.intro = "<p>Agora.</p>"
    home.save_revision().publish()
    make_forum("Plaza")
    campaign = make_campaign(
        title="Calle 7",
        question="¿7?",
        location_asked=True,
        map_lat=50.879,
        map_lon=4.701,
    )
    idea = IdeaFactory(
        campaign=campaign,
        author=UserFactory(display_name="Ana"),
        title="Fontana 42",
        description="Fontana, fontana, fontana.",
        address="Grote Markt 1",
        lat=50.879,
        lon=4.701,
        created_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 10, 0)),
    )
    return campaign, idea


@pytest.mark.parametrize("width", [1280, 390])
def test_switching_to_spanish_then_russian(
    live_server, new_page, settings, city, width
):
    settings.AGORA_MAP_TILES_URL = "/static/no-tiles/{z}/{x}/{y}.png"
    settings.AGORA_MAP_ATTRIBUTION = ""
    campaign, idea = city
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    open_menu(page)
    expect(page.get_by_role("link", name="Campaigns")).to_be_visible()

    for name, button, language, words in [
        (
            "Español",
            "Change",
            "es",
            {
                "nav": "Campañas",
                "propose": "Inicia sesión para participar",
                "date": "3 nov 2026",
                "place": "50,87900° N; 4,70100° E",
            },
        ),
        (
            "Русский",
            "Cambiar",
            "ru",
            {
                "nav": "Кампании",
                "propose": "Войдите, чтобы участвовать",
                "date": "3 ноября 2026",
                "place": "50,87900° с. ш.; 4,70100° в. д.",
            },
        ),
    ]:
        page.goto(live_server.url + "/")
        switch_to(page, name, button)
        expect(page.locator("html")).to_have_attribute("lang", language)
        open_menu(page)
        expect(page.get_by_role("link", name=words["nav"])).to_be_visible()
        assert_no_english(page, language)

        page.goto(live_server.url + campaign.url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("link", name=words["propose"]).first).to_be_visible()
        assert_no_english(page, language)

        page.goto(live_server.url + idea.get_absolute_url())
        expect(page.locator("time").first).to_have_text(words["date"])
        expect(page.locator(".idea__coordinates")).to_have_text(words["place"])
        assert_no_english(page, language)
        # The scripts' words come from the same catalogues (Django's JavaScriptCatalog).
        page.wait_for_function(
            "() => window.django && window.django.jsi18n_initialized"
        )
        assert page.evaluate("gettext('Reload')") != "Reload"
        assert page.evaluate("ngettext('%(count)s new item — show', '', 5)") != (
            "%(count)s new item — show"
        )
