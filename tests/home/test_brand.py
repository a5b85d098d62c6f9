"""A city brands Agora in the admin, without code: its name, logo colours and footer
links reach every page through a cached stylesheet, and the stylesheet itself stays
whole (an unclosed block once left every phone rule desktop-only)."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from home.brand import BrandSettings, contrast
from home.demo import seed_home

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "site" / "static" / "css" / "agora.css"


def test_the_stylesheet_closes_every_block_and_comment():
    text = CSS.read_text()
    assert text.count("/*") == text.count("*/")
    without_comments = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    depth = 0
    for char in without_comments:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert not re.search(r"^(<<<<<<<|=======|>>>>>>>)", text, re.M)  # merge leftovers


def test_without_a_brand_the_site_uses_its_configured_name_and_colours(client):
    seed_home()
    html = client.get("/").content.decode()
    assert "<span>Agora</span>" in html
    css = client.get("/brand.css").content.decode()
    assert "--brand: #0b5cad;" in css


def test_a_city_sets_its_name_colours_and_footer_links(client):
    seed_home()
    before = client.get("/").content.decode()
    BrandSettings.objects.create(
        city_name="Leuven",
        brand_colour="#7A1F3D",
        accent_colour="#FFCC00",
        footer_links=[
            {"type": "link", "value": {"label": "Privacy", "url": "/privacy/"}},
            {"type": "link", "value": {"label": "Evil", "url": "javascript:alert(1)"}},
        ],
    )
    html = client.get("/").content.decode()
    assert "<span>Leuven</span>" in html
    assert "· Leuven</title>" in html
    assert '<a href="/privacy/">Privacy</a>' in html
    assert "javascript:" not in html
    # A new brand is a new stylesheet address, so browsers never keep old colours.
    version = re.search(r"brand\.css\?v=(\w+)", html).group(1)
    assert version not in before
    response = client.get(f"/brand.css?v={version}")
    css = response.content.decode()
    assert "--brand: #7a1f3d;" in css and "--focus: #ffcc00;" in css
    assert "immutable" in response["Cache-Control"]


def test_the_brand_costs_no_query_once_cached(client, django_assert_num_queries):
    seed_home()
    BrandSettings.objects.create(city_name="Leuven")
    client.get("/brand.css")
    with django_assert_num_queries(0):
        css = client.get("/brand.css")
        response = client.get("/favicon.ico")
    assert css.status_code == 200
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")


def test_a_main_colour_too_light_for_white_text_is_refused():
    assert contrast("#0b5cad", "#ffffff") >= 4.5
    settings_row = BrandSettings(brand_colour="#ffdd00", accent_colour="#000000")
    with pytest.raises(ValidationError) as refused:
        settings_row.full_clean()
    assert "brand_colour" in refused.value.message_dict
    with pytest.raises(ValidationError):
        BrandSettings(brand_colour="blue").full_clean()
