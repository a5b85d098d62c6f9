"""Every page Agora owns, public and staff, on a phone and on a desktop:

- reflow at 320 px: nothing scrolls sideways (WCAG 1.4.10), which also guards the
  stylesheet against another unclosed block leaving phones unstyled;
- no Content Security Policy violation (the brand's colours come from a stylesheet);
- axe-core finds no serious or critical WCAG 2.2 A/AA violation at 1280 and 390 px.
"""

import pytest

from tests.browser.site_pages import OVERFLOW_JS, WIDTHS, build_city, open_as, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(live_server, settings):
    # Tiles from the test server itself: no request leaves the machine.
    settings.AGORA_MAP_TILES_URL = "/static/no-tiles/{z}/{x}/{y}.png"
    return build_city()


def test_no_page_scrolls_sideways_at_320_px_or_breaks_the_csp(
    browser, live_server, city
):
    problems = {}
    for who in {p.who for p in city.pages}:
        page = open_as(browser, city, who, live_server.url, 320)
        refused = []
        page.on(
            "console",
            lambda m, refused=refused: (
                refused.append(m.text) if "Content Security Policy" in m.text else None
            ),
        )
        for site_page in [p for p in city.pages if p.who == who]:
            page.goto(live_server.url + site_page.path)
            found = page.evaluate(OVERFLOW_JS)
            if found["scrollWidth"] > found["width"]:
                problems[site_page.name] = found
            if site_page.name == "insight-report":
                # The bars take their series colours on phones too (they were black).
                fills = page.eval_on_selector_all(
                    ".bar-chart__bar rect",
                    "rs => rs.map(r => getComputedStyle(r).fill)",
                )
                assert fills and "rgb(0, 0, 0)" not in fills, fills
            if not site_page.path.startswith("/admin/"):
                # The phone layout really applies: the menu folds behind its button.
                assert page.locator(".site-menu > summary").is_visible(), site_page.name
        if refused:
            problems[f"csp ({who})"] = refused[:3]
        page.context.close()
    assert not problems, "\n".join(
        f"{name}: {found}" for name, found in problems.items()
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violation_on_any_page(
    browser, live_server, city, width
):
    violations = {}
    for who in {p.who for p in city.pages}:
        page = open_as(browser, city, who, live_server.url, width, bypass_csp=True)
        for site_page in [p for p in city.pages if p.who == who]:
            page.goto(live_server.url + site_page.path)
            found = run_axe(page)
            if found:
                violations[site_page.name] = found
        page.context.close()
    report = "\n".join(
        f"{name}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
        for name, found in violations.items()
        for v in found
    )
    assert not violations, report
