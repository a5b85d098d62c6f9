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
