"""Background work for insights (django-tasks): a full analysis of a campaign,
placing ideas added since the last report in its clusters, and embedding ideas
when they are written or edited.

Tasks take plain ids and fetch their objects again, as wagtail/tasks.py does,
because they run later and maybe on another machine.
"""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def run_insight_report(report_id: int) -> str:
    """Run the analysis of one queued report, publishing progress as it goes.

    Returns the report's final status ("succeeded", "failed" or "skipped" when
    the report is gone or was already taken by another worker).
    """
    from . import actions, runner
    from .models import InsightReport

    report = (
        InsightReport.objects.select_related("campaign").filter(pk=report_id).first()
    )
    if report is None or not actions.do_begin_report(report):
        return "skipped"
    try:
        outcome = runner.run(
            report,
            lambda percent, stage: actions.do_record_progress(report, percent, stage),
        )
        actions.do_finish_report(report, outcome)
    except Exception as exc:
        # The planner sees the failure on the report page; the log keeps the trace.
        logger.exception("insight report %s failed", report_id)
        actions.do_fail_report(report, exc)
        return "failed"
    return "succeeded"


@task()
def assign_new_ideas(campaign_id: int) -> int:
    """Place the campaign's ideas added since its latest report; returns how many."""
    from . import actions

    return actions.do_assign_new_ideas(campaign_id)


@task()
def embed_ideas(idea_ids: list[int]) -> int:
    """Store the sentence embedding of ideas just written or edited; returns how many."""
    from . import actions

    return actions.do_store_embeddings([int(i) for i in idea_ids])
