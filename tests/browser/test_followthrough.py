"""Follow-through in a real browser: arguments seen live, progress reaching a
supporter, a full meeting's waiting list, ideas recorded at a meeting, and a
report routed, overdue, escalated and counted on the public record."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Notification
from ideas import actions
from ideas.models import CategoryRoute, Department, Idea, Implementation, Report
from tests.browser.test_two_tabs_live import logged_in_page
from tests.factories import (
    NO_FORUM_RATE_LIMITS,
    PlannerFactory,
    UserFactory,
    make_campaign,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_two_residents_argue_and_a_third_sees_the_points_live(
    browser, daphne_live_server
):
    server = daphne_live_server
    campaign = make_campaign()
    idea = actions.do_propose_idea(
        UserFactory(), campaign, title="A car-free market square", description="Why."
    )
    ana, ben, cleo = (UserFactory(display_name=n) for n in ("Ana", "Ben", "Cleo"))
    tabs = [logged_in_page(browser, server, person) for person in (ana, ben, cleo)]
    try:
        url = server.url + idea.get_absolute_url()
        for _context, page in tabs:
            page.goto(url)
        watcher = tabs[2][1]
        expect(watcher.locator("body")).to_have_attribute("data-live-state", "live")
        ana_page, ben_page = tabs[0][1], tabs[1][1]
        ana_page.get_by_label("A point for").fill("Children can play safely.")
        ana_page.get_by_role("button", name="Add the point").first.click()
        ben_page.get_by_label("A point against").fill("The stalls need vans.")
        ben_page.get_by_role("button", name="Add the point").last.click()
        column_for = watcher.locator(".arguments__column--for")
        column_against = watcher.locator(".arguments__column--against")
        expect(column_for).to_contain_text("Children can play safely.")
        expect(column_against).to_contain_text("The stalls need vans.")
        expect(column_for.locator(".arguments__count b")).to_have_text("1")
        expect(column_against.locator(".arguments__count b")).to_have_text("1")
        expect(column_for).not_to_contain_text("The stalls need vans.")
    finally:
        for context, _page in tabs:
            context.close()


def test_planner_posts_progress_and_the_supporter_sees_it(browser, daphne_live_server):
    server = daphne_live_server
    campaign = make_campaign()
    idea = actions.do_propose_idea(
        UserFactory(), campaign, title="Benches by the river", description="Rest."
    )
    supporter = UserFactory(display_name="Sam")
    actions.do_support_idea(supporter, idea)
    planner = PlannerFactory()
    actions.do_change_status(planner, idea, "accepted", "Yes, six benches.")
    impl = Implementation.objects.get(subject_id=idea.pk, subject_kind="idea")
    planner_ctx, planner_page = logged_in_page(browser, server, planner)
    sam_ctx, sam_page = logged_in_page(browser, server, supporter)
    try:
        url = server.url + idea.get_absolute_url()
        sam_page.goto(url)
        expect(sam_page.locator("body")).to_have_attribute("data-live-state", "live")
        planner_page.goto(url)
        planner_page.get_by_label("What happened").fill("Three benches are in.")
        planner_page.get_by_label("Progress (%)").fill("50")
        planner_page.get_by_label("Money spent since the last update").fill("4200")
        planner_page.get_by_role("button", name="Publish the update").click()
        expect(planner_page.get_by_text("followers are told")).to_be_visible()
        updates = sam_page.locator(
            f'[data-live-list="implementation.{impl.pk}:updates"]'
        )
        expect(updates).to_contain_text("Three benches are in.")
        expect(
            sam_page.locator(f'[data-live-count="implementation.{impl.pk}:progress"]')
        ).to_have_text("50")
        assert Notification.objects.filter(
            recipient=supporter, kind="tracking.update"
        ).exists()
    finally:
        planner_ctx.close()
        sam_ctx.close()


def test_a_resident_registers_for_a_full_meeting_and_joins_the_waiting_list(
    browser, daphne_live_server
):
    server = daphne_live_server
    campaign = make_campaign()
    planner = PlannerFactory()
    start = timezone.now() + timedelta(days=3)
    meeting = actions.do_create_meeting(
        planner,
        campaign,
        title="Evening at the library",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Library",
        capacity=1,
    )
    actions.do_register_meeting(UserFactory(), meeting)
    context, page = logged_in_page(browser, server, UserFactory())
    try:
        page.goto(server.url + meeting.get_absolute_url())
        page.get_by_role("button", name="Join the waiting list").click()
        expect(page.get_by_text("you are on the waiting list")).to_be_visible()
        expect(
            page.get_by_text("You are number 1 on the waiting list.")
        ).to_be_visible()
    finally:
        context.close()


def test_staff_record_three_ideas_at_a_meeting_and_they_appear_linked(
    browser, daphne_live_server
):
    server = daphne_live_server
    campaign = make_campaign()
    planner = PlannerFactory()
    start = timezone.now() - timedelta(hours=3)
    meeting = actions.do_create_meeting(
        planner,
        campaign,
        title="Town hall on parks",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Town hall",
    )
    context, page = logged_in_page(browser, server, planner)
    try:
        titles = ["Swings in Elm Park", "A dog run by the pond", "Shade over benches"]
        for title in titles:
            page.goto(server.url + meeting.get_absolute_url())
            page.get_by_role("link", name="Record an idea from this meeting").click()
            page.get_by_label("Title").fill(title)
            page.get_by_label("Description").fill("Said at the town hall.")
            page.locator("form.idea-form button[name=submit]").click()
            expect(page.locator("h1")).to_have_text(title)
        page.goto(server.url + meeting.get_absolute_url())
        listed = page.locator(".meeting-ideas__list")
        for title in titles:
            expect(listed).to_contain_text(title)
        assert Idea.objects.filter(meeting=meeting, source="meeting").count() == 3
    finally:
        context.close()


def test_a_report_is_routed_becomes_overdue_escalates_and_counts_publicly(
    browser, daphne_live_server
):
    server = daphne_live_server
    campaign = make_campaign(
        kind="reports", categories=["Potholes"], location_asked=True
    )
    group = Group.objects.create(name="Roads staff")
    clerk, lead = UserFactory(display_name="Clerk"), UserFactory(display_name="Lead")
    clerk.groups.add(group)
    roads = Department.objects.create(name="Roads", staff_group=group, lead=lead)
    CategoryRoute.objects.create(
        campaign=campaign, category=campaign.categories.get(), department=roads
    )
    resident_ctx, resident_page = logged_in_page(browser, server, UserFactory())
    clerk_ctx, clerk_page = logged_in_page(browser, server, clerk)
    try:
        clerk_page.goto(server.url + roads.get_absolute_url())
        expect(clerk_page.locator("body")).to_have_attribute("data-live-state", "live")
        resident_page.goto(server.url + f"/ideas/campaign/{campaign.pk}/propose/")
        resident_page.get_by_label("Title").fill("Pothole by the bakery")
        resident_page.get_by_label("Description").fill("Deep enough to break a wheel.")
        resident_page.get_by_label("Potholes").check()
        resident_page.get_by_label("Latitude").fill("50.88")
        resident_page.get_by_label("Longitude").fill("4.70")
        resident_page.get_by_role("button", name="Send my report").click()
        expect(resident_page.get_by_text("Roads")).to_be_visible()
        # The department's queue shows it live.
        expect(clerk_page.locator("table.report-queue")).to_contain_text(
            "Pothole by the bakery"
        )
        report = Report.objects.get()
        Report.objects.filter(pk=report.pk).update(
            due_at=timezone.now() - timedelta(minutes=5)
        )
        call_command("escalate_overdue_reports", stdout=io.StringIO())
        assert Notification.objects.filter(
            recipient=lead, kind="report.escalated"
        ).exists()
        resident_page.goto(server.url + f"/ideas/campaign/{campaign.pk}/answer-record/")
        row = resident_page.locator("table.report-record tbody tr").first
        expect(row).to_contain_text("Roads")
        expect(row.locator("td").nth(5)).to_have_text("1")
    finally:
        resident_ctx.close()
        clerk_ctx.close()
