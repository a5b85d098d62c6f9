"""Participatory budgets in a real browser: a resident fills a knapsack ballot with and
without JavaScript, staff publish the results (seen live by a resident), and a funded
project's progress update reaches its follower live."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.actions import do_verify_at_desk
from budgets.actions import (
    check_cast_ballot,
    do_cast_ballot,
    do_change_phase,
    do_follow_project,
    do_publish_results,
)
from budgets.models import Project
from polls.models import BallotBox
from tests.browser.test_two_tabs_live import logged_in_page
from tests.factories import CityAdminFactory, PlannerFactory, UserFactory, make_budget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _verified():
    user = UserFactory()
    do_verify_at_desk(CityAdminFactory(), user, note="passport seen")
    return user


def _voting_budget(planner):
    budget = make_budget(
        title="Park budget",
        total=1000,
        verified_only=True,
        projects=[("Trees", 400), ("Benches", 300), ("Library", 500)],
    )
    do_change_phase(planner, budget, "voting")
    return budget


def _page_without_js(browser, server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server.url,
            }
        ]
    )
    return context, context.new_page()


@pytest.mark.parametrize("width", [1280, 390])
def test_knapsack_ballot_with_javascript_shows_the_money_left(
    browser, daphne_live_server, width
):
    server = daphne_live_server
    budget = _voting_budget(PlannerFactory())
    context, page = logged_in_page(browser, server, _verified())
    try:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(server.url + budget.url)
        left = page.locator("[data-ballot-left]")
        expect(left).to_have_text("Left: 1,000 EUR")
        page.get_by_label("Trees").check()
        page.get_by_label("Library").check()
        expect(left).to_have_text("Left: 100 EUR")
        page.get_by_label("Benches").check()
        expect(left).to_have_text("Over by: 200 EUR")
        expect(left).to_have_class("ballot-left ballot-left--over")
        page.get_by_label("Library").uncheck()
        expect(left).to_have_text("Left: 300 EUR")
        page.get_by_role("button", name="Cast my ballot").click()
        expect(page.get_by_text("Your ballot is in the box")).to_be_visible()
        assert BallotBox.objects.get(key=f"budget.{budget.pk}").ballot_count == 1
        # Nothing of the ballot page scrolls sideways on a phone.
        assert (
            page.evaluate(
                "document.documentElement.scrollWidth - "
                "document.documentElement.clientWidth"
            )
            <= 0
        )
    finally:
        context.close()


def test_knapsack_ballot_without_javascript_is_checked_by_the_server(
    browser, daphne_live_server
):
    server = daphne_live_server
    budget = _voting_budget(PlannerFactory())
    context, page = _page_without_js(browser, server, _verified())
    try:
        page.goto(server.url + budget.url)
        expect(page.locator("[data-ballot-left]")).to_be_hidden()
        for title in ("Trees", "Benches", "Library"):
            page.get_by_label(title).check()
        page.get_by_role("button", name="Cast my ballot").click()
        error = page.locator("#ballot-error")
        expect(error).to_contain_text("1,200 EUR, 200 EUR over the 1,000 EUR")
        # Nothing lost: the three choices are still ticked.
        for title in ("Trees", "Benches", "Library"):
            expect(page.get_by_label(title)).to_be_checked()
        page.get_by_label("Library").uncheck()
        page.get_by_role("button", name="Cast my ballot").click()
        expect(page.get_by_text("Your ballot is in the box")).to_be_visible()
        assert BallotBox.objects.get(key=f"budget.{budget.pk}").ballot_count == 1
    finally:
        context.close()


def test_staff_publish_results_and_a_resident_sees_them_arrive(
    browser, daphne_live_server
):
    server = daphne_live_server
    planner = PlannerFactory()
    budget = _voting_budget(planner)
    for titles in (["Trees", "Benches"], ["Trees"], ["Library"]):
        voter = _verified()
        ids = [str(Project.objects.get(budget=budget, title=t).pk) for t in titles]
        do_cast_ballot(
            voter, budget, check_cast_ballot(voter, budget, {"project": ids})
        )
    staff_context, staff = logged_in_page(browser, server, planner)
    resident_context, resident = logged_in_page(browser, server, UserFactory())
    try:
        resident.goto(server.url + budget.url)
        expect(resident.locator("body")).to_have_attribute("data-live-state", "live")
        staff.goto(server.url + budget.url)
        staff.get_by_role("button", name="Count and publish the results").click()
        expect(
            staff.get_by_role("heading", name="Results, counted both ways")
        ).to_be_visible()
        expect(staff.locator("table.results-table").first).to_contain_text(
            "Funded, turn 1"
        )
        expect(staff.locator("table.results-table").first).to_contain_text(
            "Its supporters paid"
        )
        # The resident's page, untouched, now shows the results.
        summary = resident.locator(f"#budget-results-{budget.pk}")
        expect(summary).to_contain_text("the rule this budget uses")
        expect(summary.get_by_role("link", name="Why each project")).to_be_visible()
    finally:
        staff_context.close()
        resident_context.close()


def test_a_progress_update_reaches_the_projects_follower_live(
    browser, daphne_live_server
):
    server = daphne_live_server
    planner = PlannerFactory()
    budget = make_budget(total=1000, projects=[("Fountain", 600)])
    do_change_phase(planner, budget, "voting")
    voter = _verified()
    fountain = Project.objects.get(budget=budget)
    do_cast_ballot(
        voter, budget, check_cast_ballot(voter, budget, {"project": [str(fountain.pk)]})
    )
    do_publish_results(planner, budget)
    follower = UserFactory()
    do_follow_project(follower, fountain)
    follower_context, follower_page = logged_in_page(browser, server, follower)
    staff_context, staff = logged_in_page(browser, server, planner)
    try:
        follower_page.goto(server.url + fountain.get_absolute_url())
        expect(follower_page.locator("body")).to_have_attribute(
            "data-live-state", "live"
        )
        staff.goto(server.url + fountain.get_absolute_url())
        staff.get_by_label("What happened").fill(
            "Foundations poured; the pipes are in."
        )
        staff.get_by_label("Progress (%)").fill("40")
        staff.get_by_role("button", name="Publish the update").click()
        expect(staff.get_by_text("Foundations poured").first).to_be_visible()
        # The follower sees the update on the page and in the inbox badge, live.
        expect(follower_page.locator("#implementation")).to_contain_text(
            "Foundations poured"
        )
        expect(follower_page.locator("#implementation")).to_contain_text("40")
        expect(
            follower_page.locator(
                f"[data-live-count='user.{follower.pk}:unread']"
            ).first
        ).to_have_text("1")
    finally:
        follower_context.close()
        staff_context.close()
