"""Helpers shared by the report tests: campaigns full of ideas, and running an
analysis the way a planner does (the immediate task backend runs it on commit)."""

from __future__ import annotations

from typing import Any

from ideas.models import Idea
from insights import actions
from insights.models import InsightReport
from tests.factories import IdeaFactory, UserFactory, make_campaign

from .stories import topic_texts


def add_ideas(campaign: Any, topic: str, n: int, **fields: Any) -> list[Idea]:
    ideas = []
    for i, (title, description) in enumerate(topic_texts(topic, n)):
        kwargs = dict(fields)
        if "author" not in kwargs:
            kwargs["author"] = UserFactory()
        if campaign.location_asked and i % 2 == 0:
            kwargs.setdefault("lat", 52.5 + i / 1000)
            kwargs.setdefault("lon", 13.4 + i / 1000)
        ideas.append(
            IdeaFactory(
                campaign=campaign, title=title, description=description, **kwargs
            )
        )
    return ideas


def campaign_with_topics(n_per_topic: int = 10, **fields: Any) -> Any:
    fields.setdefault("location_asked", True)
    campaign = make_campaign(**fields)
    for topic in ("cycling", "trees", "buses"):
        add_ideas(campaign, topic, n_per_topic)
    return campaign


def run_analysis(
    capture: Any, user: Any, campaign: Any, **kwargs: Any
) -> InsightReport:
    """Start an analysis and let the task run after commit, as in production."""
    with capture(execute=True):
        report = actions.do_start_analysis(user, campaign, **kwargs)
    report.refresh_from_db()
    return report


def cluster_of(report: InsightReport, idea: Idea) -> int:
    return report.assignments.get(idea=idea).cluster
