"""Demo insight reports: one analysis of each demo campaign, run at once so the
planners' pages have something to show before any task worker has started."""

from ideas.models import CampaignPage, Idea

from . import actions
from .models import InsightReport
from .tasks import run_insight_report


def seed() -> list[InsightReport]:
    """Analyse every campaign with published ideas and no report yet (idempotent)."""
    made = []
    with_ideas = set(Idea.objects.public().values_list("campaign_id", flat=True))
    for campaign in CampaignPage.objects.filter(pk__in=with_ideas).order_by("pk"):
        if InsightReport.objects.filter(campaign=campaign).exists():
            continue
        report = actions.do_start_analysis(None, campaign, trigger="nightly")
        # Run now; the task enqueued on commit will find it done and skip it.
        run_insight_report.call(report.pk)
        report.refresh_from_db()
        made.append(report)
    return made
