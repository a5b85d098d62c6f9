"""Data the HTTP scenarios need, made inside Django by bench/run.py before the server starts.

Each function returns a JSON-ready dict; "path" is the URL the scenario loads.
Later capabilities add their own functions here (a thread with 500 posts, ...).
"""

from typing import Any


def home_page() -> dict[str, Any]:
    from home.demo import seed_home

    seed_home()
    return {"path": "/"}


def bare_view() -> dict[str, Any]:
    return {"path": "/healthz"}


# --- forums ---------------------------------------------------------------


def _bench_forum(slug: str, title: str) -> Any:
    from forums.models import ForumIndexPage, ForumPage
    from home.demo import seed_home

    home, _created = seed_home()
    index = ForumIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(instance=ForumIndexPage(title="Forums", slug="forums"))
    forum = ForumPage.objects.filter(slug=slug).first()
    if forum is None:
        forum = index.add_child(instance=ForumPage(title=title, slug=slug))
    return forum


def _bench_people(n: int) -> list[Any]:
    from accounts.models import User

    existing = list(User.objects.filter(email__endswith="@bench.test").order_by("pk"))
    if len(existing) < n:
        User.objects.bulk_create(
            [
                User(email=f"p{i}@bench.test", display_name=f"Bench person {i}")
                for i in range(len(existing), n)
            ]
        )
        existing = list(
            User.objects.filter(email__endswith="@bench.test").order_by("pk")
        )
    return existing[:n]


def forum_thread_500_posts() -> dict[str, Any]:
    """A forum thread with 500 posts (Markdown rendered as when written), page 1."""
    from forums.markup import render_body
    from forums.models import Post, Thread

    forum = _bench_forum("bench-thread", "Bench thread forum")
    people = _bench_people(20)
    thread = Thread.objects.filter(forum=forum).first()
    if thread is None:
        thread = Thread.objects.create(forum=forum, author=people[0], title="Long one")
        body = "A *reply* with a [link](https://example.org) and some words. " * 3
        html = render_body(body, with_mentions=False).html
        Post.objects.bulk_create(
            [
                Post(thread=thread, author=people[i % 20], body=body, body_html=html)
                for i in range(500)
            ]
        )
        last = thread.posts.order_by("-id").first()
        Thread.objects.filter(pk=thread.pk).update(post_count=500, last_post_id=last.pk)
    return {"path": f"/discussions/threads/{thread.pk}/"}


def forum_10000_threads() -> dict[str, Any]:
    """A forum page listing 10,000 threads (latest activity first), page 1."""
    from datetime import timedelta

    from django.utils import timezone

    from forums.models import Thread

    forum = _bench_forum("bench-forum", "Bench forum")
    people = _bench_people(50)
    if not Thread.objects.filter(forum=forum).exists():
        now = timezone.now()
        Thread.objects.bulk_create(
            [
                Thread(
                    forum=forum,
                    author=people[i % 50],
                    title=f"Thread number {i}",
                    post_count=1 + i % 7,
                    like_count=i % 13,
                    last_activity_at=now - timedelta(minutes=i),
                )
                for i in range(10_000)
            ],
            batch_size=2000,
        )
    return {"path": forum.url}


# --- Idea campaigns -----------------------------------------------------------

BENCH_IDEAS = 10_000
WORDS = [
    "trees",
    "bus",
    "lane",
    "park",
    "bench",
    "shade",
    "school",
    "crossing",
    "water",
    "fountain",
    "library",
    "night",
    "bike",
    "parking",
    "street",
    "light",
    "square",
    "market",
    "housing",
    "rent",
    "playground",
    "river",
    "path",
    "noise",
    "traffic",
    "safety",
    "pool",
    "garden",
    "flowers",
    "bins",
    "recycling",
    "square",
    "tram",
    "station",
]


def _bench_campaign() -> Any:
    """A support-mode campaign with 10,000 located, categorised ideas (made once)."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from home.demo import seed_home
    from ideas.models import CampaignIndexPage, CampaignPage, Idea, Phase

    existing = CampaignPage.objects.filter(slug="bench-campaign").first()
    if existing is not None:
        return existing
    home, _created = seed_home()
    index = CampaignIndexPage.objects.first() or home.add_child(
        instance=CampaignIndexPage(title="Campaigns", slug="campaigns")
    )
    campaign = index.add_child(
        instance=CampaignPage(
            title="Bench campaign",
            slug="bench-campaign",
            question="What should change?",
            location_asked=True,
            map_lat=50.88,
            map_lon=4.70,
        )
    )
    campaign.categories.add("Parks", "Transport", "Safety", "Culture")
    campaign.save_revision().publish()
    now = timezone.now()
    Phase.objects.create(
        campaign=campaign,
        kind="collecting",
        start=now - timedelta(days=30),
        end=now + timedelta(days=30),
    )
    people = User.objects.bulk_create(
        [
            User(email=f"bench-idea-{i}@example.org", display_name=f"Bench {i}")
            for i in range(100)
        ]
    )
    rng = random.Random(7)
    ideas = Idea.objects.bulk_create(
        [
            Idea(
                campaign=campaign,
                author=people[i % 100],
                title=" ".join(rng.choices(WORDS, k=6)).capitalize(),
                description=" ".join(rng.choices(WORDS, k=40)),
                lat=50.85 + rng.random() * 0.06,
                lon=4.66 + rng.random() * 0.08,
                support_count=rng.randint(0, 200),
                comment_count=rng.randint(0, 40),
                created_at=now - timedelta(minutes=i),
            )
            for i in range(BENCH_IDEAS)
        ],
        batch_size=2000,
    )
    tags = list(campaign.categories.all())
    through = Idea.categories.through
    through.objects.bulk_create(
        [
            through(idea_id=idea.pk, tag_id=tags[n % 4].pk)
            for n, idea in enumerate(ideas)
        ],
        batch_size=5000,
    )
    return CampaignPage.objects.get(pk=campaign.pk)


def _campaign_path(query: str) -> dict[str, Any]:
    return {"path": _bench_campaign().url + query}


def campaign_random() -> dict[str, Any]:
    # A visitor paging through their own random order carries its seed in the link.
    return _campaign_path("?sort=random&seed=123457&page=3")


def campaign_newest() -> dict[str, Any]:
    return _campaign_path("?sort=new")


def campaign_supported() -> dict[str, Any]:
    return _campaign_path("?sort=supported")


def campaign_discussed() -> dict[str, Any]:
    return _campaign_path("?sort=discussed")


def campaign_category_filter() -> dict[str, Any]:
    return _campaign_path("?category=parks&sort=new&page=2")


def idea_page_200_comments() -> dict[str, Any]:
    """An idea page whose discussion has 200 comments (first page), anonymous visitor."""
    from forums.actions import do_create_hosted_thread
    from forums.markup import render_body
    from forums.models import Post, Thread
    from ideas.models import Idea

    campaign = _bench_campaign()
    idea = Idea.objects.filter(campaign=campaign).order_by("id").first()
    if idea.thread_id is None:
        thread = do_create_hosted_thread("idea", idea.pk, title=idea.title)
        people = list(idea.campaign.ideas.values_list("author_id", flat=True)[:20])
        posts = []
        for i in range(200):
            body = (
                f"Comment {i}: **{WORDS[i % len(WORDS)]}** matters here, see point {i}."
            )
            posts.append(
                Post(
                    thread=thread,
                    author_id=people[i % len(people)],
                    body=body,
                    body_html=render_body(body).html,
                )
            )
        Post.objects.bulk_create(posts)
        last = thread.posts.order_by("-id").first()
        Thread.objects.filter(pk=thread.pk).update(post_count=200, last_post_id=last.pk)
        Idea.objects.filter(pk=idea.pk).update(thread=thread, comment_count=200)
    return {"path": f"/ideas/{idea.pk}/"}


# --- people who are logged in (scripts that post forms: polls, budgets) ----------


def signed_in_sessions(user_ids: list[int]) -> list[str]:
    """A database session per account, as a log-in leaves, in one bulk insert per
    5,000: the keys go in the `sessionid` cookie of bench.run.FormPost."""
    import secrets
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import User

    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    hashes = {
        u.pk: u.get_session_auth_hash()
        for u in User.objects.filter(pk__in=user_ids).only("pk", "password")
    }
    keys, rows = [], []
    for uid in user_ids:
        key = secrets.token_hex(16)
        data = {
            "_auth_user_id": str(uid),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": hashes[uid],
        }
        rows.append(
            Session(
                session_key=key,
                session_data=store.encode(data),
                expire_date=expires,
            )
        )
        keys.append(key)
    Session.objects.bulk_create(rows, batch_size=5000)
    return keys


def campaign_page_two() -> dict[str, Any]:
    return _campaign_path("?sort=new&page=2")


def campaign_search() -> dict[str, Any]:
    """A search within the campaign (the site search's index, built for the bench
    ideas, which were bulk-loaded past the indexing signals)."""
    from search.index import rebuild
    from search.models import SearchEntry

    campaign = _bench_campaign()
    if not SearchEntry.objects.filter(kind="idea").exists():
        rebuild(["idea"])
    return {"path": campaign.url + "?q=river+garden&sort=new"}


def bench_session() -> dict[str, Any]:
    """A signed-in resident's session cookie, for the logged-in variants."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    user, _created = User.objects.get_or_create(
        email="resident@bench.test", defaults={"display_name": "Bench resident"}
    )
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return {"path": "/", "cookie": f"sessionid={store.session_key}"}
