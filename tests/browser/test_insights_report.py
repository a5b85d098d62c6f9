"""A planner analyses a campaign in the browser: the analysis waits for the task
worker, the progress bar moves to its end while the planner watches, and a summary
line leads back to a resident's idea; a resident who tries the report is refused."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from home.demo import seed_home
from insights.models import InsightReport
from tests.factories import TEST_PASSWORD, PlannerFactory, UserFactory
from tests.insights.helpers import campaign_with_topics

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The real database queue, as in production, instead of the tests' immediate backend.
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}


def log_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()


@override_settings(TASKS=DATABASE_TASKS)
def test_planner_analyses_a_campaign_and_follows_a_summary_line(
    daphne_live_server, new_page
):
    live_server = daphne_live_server
    seed_home()
    campaign = campaign_with_topics(6)
    planner = PlannerFactory()
    page = new_page()
    log_in(page, live_server.url, planner.email)

    page.goto(live_server.url + campaign.url)
    page.get_by_role("link", name="Insights: analyse these ideas").click()
    expect(
        page.get_by_role("heading", name=f"Insights: {campaign.title}")
    ).to_be_visible()
    page.get_by_role("button", name="Start analysis").click()

    report = InsightReport.objects.get(campaign=campaign)
    expect(page).to_have_url(live_server.url + report.get_absolute_url())
    bar = page.locator(f"#report-progress-{report.pk} progress")
    expect(bar).to_have_attribute("value", "0")
    expect(page.locator("body")).to_have_attribute("data-live-state", "live")

    # The task worker picks the analysis up; the planner's page follows it live.
    call_command("db_worker", "--batch", "--queue-name", "*", verbosity=0)
    expect(bar).to_have_attribute("value", "100")
    progress = page.locator(f"#report-progress-{report.pk}")
    expect(progress).to_contain_text("Finished")
    progress.get_by_role("link", name="Open the report").click()
    expect(page.get_by_role("heading", name="3 topics")).to_be_visible()

    line = page.locator(".summary-line__text").first
    first_id = line.get_attribute("data-idea-ids").split()[0]
    title = campaign.ideas.get(pk=first_id).title
    line.click()
    expect(page).to_have_url(live_server.url + f"/ideas/{first_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_resident_is_refused_the_report(live_server, new_page):
    seed_home()
    campaign = campaign_with_topics(1)
    report = InsightReport.objects.create(campaign=campaign, status="succeeded")
    resident = UserFactory()
    page = new_page()
    log_in(page, live_server.url, resident.email)
    response = page.goto(live_server.url + report.get_absolute_url())
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot do that here")).to_be_visible()
    expect(page.locator("main")).to_contain_text("for the city's planners")
