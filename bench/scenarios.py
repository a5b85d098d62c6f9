"""The HTTP scenarios `make bench` runs, each against a fresh server process.

A scenario names a fixture (bench/fixtures.py) that prepares data and returns the
path to load. Add new scenarios to SCENARIOS.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    name: str
    fixture: str  # function name in bench/fixtures.py
    description: str
    connections: int = 16
    tags: tuple[str, ...] = field(default_factory=tuple)


SCENARIOS = [
    Scenario(
        "bare_view",
        "bare_view",
        "A view with no database or template work: the stack's upper limit",
    ),
    Scenario(
        "home_page", "home_page", "The front page as an anonymous visitor sees it"
    ),
    Scenario(
        "forum_thread_500_posts",
        "forum_thread_500_posts",
        "A forum thread with 500 posts, first page, anonymous visitor",
    ),
    Scenario(
        "forum_10000_threads",
        "forum_10000_threads",
        "A forum page listing 10,000 threads by latest activity, anonymous visitor",
    ),
]

SCENARIOS += [
    Scenario(
        f"campaign_10000_{name}",
        fixture,
        f"A campaign page with 10,000 ideas, {what}, anonymous visitor",
    )
    for name, fixture, what in (
        ("random", "campaign_random", "random order (seeded), page 3"),
        ("newest", "campaign_newest", "newest first"),
        ("supported", "campaign_supported", "most supported first"),
        ("discussed", "campaign_discussed", "most discussed first"),
        ("category", "campaign_category_filter", "filtered by one category, page 2"),
    )
]
SCENARIOS.append(
    Scenario(
        "idea_page_200_comments",
        "idea_page_200_comments",
        "An idea page whose discussion has 200 comments, anonymous visitor",
    )
)

# `bench/run.py --pages`: the pages of issue 12, each loaded by an anonymous visitor
# and by a signed-in resident, interleaved with the bare view on one server process.
PAGE_SCENARIOS = [
    Scenario("home", "home_page", "The front page"),
    Scenario("campaign_newest", "campaign_newest", "Campaign, 10,000 ideas, newest"),
    Scenario(
        "campaign_supported", "campaign_supported", "Campaign, 10,000 ideas, supported"
    ),
    Scenario(
        "campaign_category",
        "campaign_category_filter",
        "Campaign, 10,000 ideas, one category, page 2",
    ),
    Scenario("campaign_page_2", "campaign_page_two", "Campaign, newest, page 2"),
    Scenario("campaign_search", "campaign_search", "Campaign, a search"),
    Scenario("idea_200_comments", "idea_page_200_comments", "Idea with 200 comments"),
    Scenario("forum_10000_threads", "forum_10000_threads", "Forum, 10,000 threads"),
    Scenario("thread_500_posts", "forum_thread_500_posts", "Thread with 500 posts"),
]
