"""A small city with one of everything, and the list of pages Agora owns.

The reflow, accessibility and screenshot checks walk the same list, so a page added
here is checked everywhere. Each entry says who looks at it (anonymous, a resident,
a planner, a moderator): staff pages are part of the product too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 390)


@dataclass(frozen=True)
class SitePage:
    name: str
    path: str
    who: str = "anonymous"  # or "resident", "planner", "moderator"


@dataclass
class City:
    pages: list[SitePage]
    people: dict[str, Any]
    objects: dict[str, Any]


def build_city() -> City:
    """One of everything, made through the same actions residents and staff use."""
    from forums import actions as forum_actions
    from home.demo import seed_home
    from ideas import actions as idea_actions
    from ideas.models import CampaignIndexPage, VoteChoice
    from insights.models import InsightReport
    from tests.factories import (
        IdeaFactory,
        ModeratorFactory,
        PlannerFactory,
        UserFactory,
        make_campaign,
        make_forum,
    )
    from tests.insights.helpers import campaign_with_topics

    seed_home()
    resident = UserFactory(display_name="Amara Okafor")
    neighbour = UserFactory(display_name="Bo")
    planner = PlannerFactory(display_name="Pat Planner")
    moderator = ModeratorFactory(display_name="Mo Moderator")

    streets = campaign_with_topics(
        4,
        title="Greener, safer streets",
        question="What would make your street greener and safer to walk along?",
        support_threshold=10,
        map_lat=52.5,
        map_lon=13.4,
    )
    idea = idea_actions.do_propose_idea(
        resident,
        streets,
        title="A drinking fountain in Lime Park, by the north gate near the playground",
        description="Children and runners need water in summer. " * 4,
        address="Lime Park, north gate",
        lat=52.5012,
        lon=13.4051,
    )
    idea_actions.do_support_idea(neighbour, idea)
    statements = make_campaign(
        title="Housing we can afford",
        question="Agree or disagree: what should the city do about rents?",
        voting_mode="agree_disagree",
        support_threshold=5,
    )
    statement_ideas = [
        IdeaFactory(campaign=statements, title=f"Statement {n}: the city should act")
        for n in range(1, 4)
    ]
    idea_actions.do_vote_idea(neighbour, statement_ideas[0], VoteChoice.AGREE)

    forum = make_forum("Town square", topic="Talk about anything in the city.")
    thread = forum_actions.do_start_thread(
        resident,
        forum,
        "Where do you walk your dog? A very long title that has to wrap on a phone",
        "Looking for quiet paths near the river: https://example.org/a/very/long/"
        "address/that/never/breaks/by/itself/on/a/small/screen/at/all",
    )
    reply = forum_actions.do_reply(
        neighbour, thread, "The river path past the old mill."
    )

    from django.contrib.contenttypes.models import ContentType

    from moderation.actions import do_flag_content
    from moderation.models import QueueItem

    do_flag_content(resident, reply, "off_topic", "Not about dogs.")
    queue_item = QueueItem.objects.filter(decided_at__isnull=True).first()
    post_ct = ContentType.objects.get_for_model(reply)

    from insights.actions import do_start_analysis

    # The test task backend runs the analysis as soon as this commits.
    report = do_start_analysis(planner, streets)
    report = InsightReport.objects.get(pk=report.pk)

    index = CampaignIndexPage.objects.first()
    pages = [
        SitePage("home", "/"),
        SitePage("campaigns", index.url),
        SitePage("campaign", streets.url),
        SitePage("campaign-votes", statements.url),
        SitePage("idea", idea.get_absolute_url()),
        SitePage("statements", f"/ideas/campaign/{statements.pk}/statements/"),
        SitePage("forums", "/discussions/"),
        SitePage("forum", forum.url),
        SitePage("thread", thread.get_absolute_url()),
        SitePage("search", "/search/?q=park"),
        SitePage("moderation-log", "/moderation/log/"),
        SitePage("person", resident.get_absolute_url()),
        SitePage("login", "/accounts/login/"),
        SitePage("signup", "/accounts/signup/"),
        SitePage("not-found", "/no-such-page/"),
        SitePage("me", "/me/", "resident"),
        SitePage("notifications", "/me/notifications/", "resident"),
        SitePage("privacy", "/me/privacy/", "resident"),
        SitePage("propose", f"/ideas/campaign/{streets.pk}/propose/", "resident"),
        SitePage("idea-signed-in", idea.get_absolute_url(), "neighbour"),
        SitePage(
            "statements-signed-in",
            f"/ideas/campaign/{statements.pk}/statements/",
            "neighbour",
        ),
        SitePage("new-thread", f"/discussions/forum/{forum.pk}/new/", "resident"),
        SitePage("insights", "/insights/", "planner"),
        SitePage("insights-campaign", f"/insights/campaign/{streets.pk}/", "planner"),
        SitePage("insight-report", report.get_absolute_url(), "planner"),
        SitePage("idea-as-planner", idea.get_absolute_url(), "planner"),
        SitePage("flag", f"/moderation/flag/{post_ct.pk}/{reply.pk}/", "planner"),
        # Agora's own staff pages inside the Wagtail admin's frame.
        SitePage("moderation-queue", "/admin/moderation/queue/", "moderator"),
        SitePage(
            "moderation-item", f"/admin/moderation/queue/{queue_item.pk}/", "moderator"
        ),
        SitePage("moderation-dashboard", "/admin/moderation/dashboard/", "moderator"),
    ]
    return City(
        pages=pages,
        people={
            "resident": resident,
            "neighbour": neighbour,
            "planner": planner,
            "moderator": moderator,
        },
        objects={
            "streets": streets,
            "statements": statements,
            "statement_ideas": statement_ideas,
            "idea": idea,
            "forum": forum,
            "thread": thread,
            "report": report,
        },
    )


def sign_in(context: Any, base_url: str, user: Any) -> None:
    """Give a browser context the session of `user` (the log-in form has its own test)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def open_as(browser: Any, city: City, who: str, base_url: str, width: int, **kw: Any):
    """A fresh context at `width` signed in as `who` (or anonymous); returns its page."""
    context = browser.new_context(
        locale="en-GB", viewport={"width": width, "height": 900}, **kw
    )
    context.set_default_timeout(15_000)
    if who != "anonymous":
        sign_in(context, base_url, city.people[who])
    return context.new_page()


# Where a page overflows, name the widest elements: a failure should say what to fix.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      let scrolls = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden') { scrolls = true; break; }
      }
      if (!scrolls) wide.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(box.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
}"""


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.x A/AA violations on the page, as axe reports them."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
                resultTypes: ['violations'],
            });
            return r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return result
