"""Which campaigns are due an analysis: nightly for open campaigns, and once when a
campaign closes. Used by the run_scheduled_insights command (cron)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ideas.models import CampaignPage, Idea
from ideas.phases import PHASE_ACTIONS, Action

from .models import InsightReport

NIGHTLY_AGE = timedelta(days=1)


def closing_time(campaign: CampaignPage) -> datetime | None:
    """When residents' last chance to propose, support or vote ended (or will end);
    the discussion may go on while the city reviews."""
    ends = [
        p.end
        for p in campaign.phase_list()
        if PHASE_ACTIONS[p.kind] & {Action.PROPOSE, Action.SUPPORT}
    ]
    return max(ends) if ends else None


def due_campaigns(now: datetime | None = None) -> list[tuple[CampaignPage, str]]:
    """(campaign, trigger) for every campaign that should be analysed now."""
    now = now or timezone.now()
    latest: dict[int, datetime] = {}
    for campaign_id, created in InsightReport.objects.order_by(
        "campaign_id", "created_at"
    ).values_list("campaign_id", "created_at"):
        latest[campaign_id] = created  # ordered: the last one wins
    with_ideas = set(
        Idea.objects.public().values_list("campaign_id", flat=True).distinct()
    )
    due = []
    for campaign in CampaignPage.objects.live().prefetch_related("phases"):
        if campaign.pk not in with_ideas:
            continue
        last = latest.get(campaign.pk)
        closed = closing_time(campaign)
        if closed is not None and closed <= now and (last is None or last < closed):
            due.append((campaign, "closing"))
        elif campaign.is_open(now) and (last is None or last <= now - NIGHTLY_AGE):
            due.append((campaign, "nightly"))
    return due
