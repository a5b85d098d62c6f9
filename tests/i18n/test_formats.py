"""Numbers, dates and coordinates as each language writes them, and words in the
language the visitor chose: on the pages, in the JavaScript catalogue, in e-mail."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from tests.factories import IdeaFactory, make_campaign

pytestmark = pytest.mark.django_db


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def located_idea(db):
    campaign = make_campaign(location_asked=True, map_lat=50.879, map_lon=4.701)
    idea = IdeaFactory(
        campaign=campaign,
        lat=50.879,
        lon=4.701,
        address="Grote Markt",
        created_at=timezone.make_aware(datetime.datetime(2026, 11, 3, 10, 0)),
    )
    return idea


@pytest.mark.parametrize(
    ("language", "place"),
    [
        ("en", "50.87900° N, 4.70100° E"),
        ("es", "50,87900° N; 4,70100° E"),
        ("ru", "50,87900° с. ш.; 4,70100° в. д."),
    ],
)
def test_coordinates_read_as_one_pair_in_every_language(
    client, located_idea, language, place
):
    html = in_language(client, language).get(located_idea.get_absolute_url())
    html = html.content.decode()
    assert f'<html lang="{language}">' in html
    assert place in html
    # never a decimal comma inside a comma-separated pair
    assert "50,87900, 4,70100" not in html and "50,87900° N, 4" not in html


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_map_gets_numbers_javascript_can_read(client, located_idea, language):
    campaign = located_idea.campaign
    html = in_language(client, language).get(campaign.url).content.decode()
    assert 'data-lat="50.879" data-lon="4.701"' in html


@pytest.mark.parametrize(
    ("language", "date"),
    [("en", "3 Nov 2026"), ("es", "3 nov 2026"), ("ru", "3 ноября 2026")],
)
def test_dates_are_written_as_the_language_writes_them(
    client, located_idea, language, date
):
    html = in_language(client, language).get(located_idea.get_absolute_url())
    assert re.search(rf">\s*{date}\s*</time>", html.content.decode())


def test_decimal_numbers_use_the_languages_separator():
    from django.template import Context, Template

    template = Template("{{ seconds|floatformat:1 }}")
    with translation.override("ru"):
        assert template.render(Context({"seconds": 2.5})) == "2,5"
    with translation.override("en"):
        assert template.render(Context({"seconds": 2.5})) == "2.5"


@pytest.mark.parametrize(
    ("language", "word"),
    [("es", "Recargar"), ("ru", "Перезагрузить")],
)
def test_the_javascript_catalogue_carries_agoras_words(client, language, word):
    response = in_language(client, language).get("/jsi18n/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'"Reload": {json.dumps(word)}' in body
    if language == "ru":
        # three plural forms, chosen by the Russian rule
        assert "n%10==1 && n%100!=11 ? 0" in body


def test_the_pages_load_the_catalogue_before_the_scripts_that_use_it(client):
    from home.demo import seed_home

    seed_home()
    html = client.get("/").content.decode()
    catalogue = html.index('src="/jsi18n/"')
    assert catalogue < html.index("js/live.js")
    assert re.search(r'<script defer src="/jsi18n/"></script>', html)


def test_sign_up_proposes_the_language_the_page_is_in(client):
    html = in_language(client, "ru").get("/accounts/signup/").content.decode()
    assert re.search(r'<option value="ru"[^>]* selected>', html)
    html = in_language(client, "es").get("/accounts/signup/").content.decode()
    assert re.search(r'<option value="es"[^>]* selected>', html)
