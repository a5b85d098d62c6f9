"""A planner analyses a campaign in the browser and follows a summary line back to
a resident's idea; a resident who tries the report's address is refused.

With the test settings' ImmediateBackend the task runs inside the "Start
analysis" request (after its commit), so the page the planner lands on shows the
bar at its end; the bar moving stage by stage is covered by the progress-event
test in tests/insights/test_reports.py.
"""

import pytest
from playwright.sync_api import expect

from home.demo import seed_home
from insights.models import InsightReport
from tests.factories import TEST_PASSWORD, PlannerFactory, UserFactory
from tests.insights.helpers import campaign_with_topics

# serialized_rollback: the page tree root (made by a migration) survives the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def log_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_planner_analyses_a_campaign_and_follows_a_summary_line(live_server, new_page):
    seed_home()  # transactional tests start from an empty page tree
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
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator(f"#report-progress-{report.pk}")).to_contain_text("Finished")
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
