"""Demo forums for `seed_demo`: two forums under the home page, one holding the real
Bowling Green 2050 Pol.is conversation as a thread (CC BY 4.0, attributed on the thread).

Idempotent: running it again changes nothing.
"""

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from django.db import transaction
from wagtail.models import Page

from accounts.demo import make_verified_account

from . import actions
from .markup import render_body
from .models import ForumIndexPage, ForumPage, Post, PostLike, Thread

DATA = Path(__file__).resolve().parent / "demo_data" / "bg2050" / "statements.csv"

ATTRIBUTION = (
    "Data was gathered using the Polis software "
    "([compdemocracy.org/polis](https://compdemocracy.org/polis)) and is "
    "sub-licensed under [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/) "
    "with Attribution to The Computational Democracy Project. The data and more "
    "information about how the data was collected can be found at "
    "[pol.is/3nemnipcrc](https://pol.is/3nemnipcrc)."
)
OPENING = (
    "In 2024, Bowling Green (Kentucky) asked its residents: *In the next 25 years, "
    "our community will nearly double in size. What would you want to see in the "
    "Bowling Green of the future?* The replies below are the statements residents "
    "wrote in that Pol.is conversation, each posted here by one of our demo "
    "residents.\n\n> " + ATTRIBUTION
)
DEMO_RESIDENTS = [
    ("amara@agora.test", "Amara Okafor"),
    ("bo@agora.test", "Bo Lindqvist"),
    ("chen@agora.test", "Chen Wei"),
    ("dolores@agora.test", "Dolores Ruiz"),
    ("emeka@agora.test", "Emeka Nwosu"),
    ("fatima@agora.test", "Fatima Haddad"),
    ("gus@agora.test", "Gus Patterson"),
    ("hana@agora.test", "Hana Kobayashi"),
    ("ivan@agora.test", "Ivan Petrov"),
    ("jo@agora.test", "Jo Mensah"),
    ("kai@agora.test", "Kai Tanaka"),
    ("lena@agora.test", "Lena Schmidt"),
]
THREAD_TITLE = "Bowling Green in 2050: what residents want"


def demo_residents() -> list[Any]:
    return [make_verified_account(email, name)[0] for email, name in DEMO_RESIDENTS]


def _forum_index(home: Page) -> ForumIndexPage:
    index = ForumIndexPage.objects.child_of(home).first()
    if index is None:
        index = home.add_child(
            instance=ForumIndexPage(
                title="Forums",
                slug="forums",
                intro="<p>Talk with your neighbours about the city.</p>",
            )
        )
    return index


def _forum(index: ForumIndexPage, slug: str, **fields: Any) -> tuple[ForumPage, bool]:
    existing = ForumPage.objects.child_of(index).filter(slug=slug).first()
    if existing is not None:
        return existing, False
    forum = index.add_child(instance=ForumPage(slug=slug, **fields))
    return forum, True


@transaction.atomic
def seed(home: Page) -> list[str]:
    """Add the demo forums under `home`; returns lines saying what was made."""
    made: list[str] = []
    index = _forum_index(home)
    people = demo_residents()
    square, created = _forum(
        index,
        "town-square",
        title="Town square",
        topic="Anything about life in our city.",
        description="<p>Start a conversation about what matters to you here.</p>",
        rules="<p>Be kind, stay on topic, and no personal details of others.</p>",
    )
    if created:
        made.append("Forum: Town square")
        with _no_rate_limits():
            thread = actions.do_start_thread(
                people[0],
                square,
                "Benches and shade on Main Street",
                "Walking downtown in July is hard. Could we have more benches and "
                "trees along Main Street?",
            )
            reply = actions.do_reply(
                people[1], thread, "Yes! @Amara Okafor, the library corner too."
            )
            actions.do_reply(people[2], thread, "Trees first, they take years.", reply)
            actions.do_set_post_like(people[3], reply, True)
    future, created = _forum(
        index,
        "bg-2050",
        title="Bowling Green 2050",
        topic="The city's long-term vision, from the Pol.is conversation.",
        description=(
            "<p>Statements from the public Pol.is conversation “Together, we'll "
            "build the BG of 2050.” (CC BY 4.0, The Computational Democracy "
            "Project).</p>"
        ),
        rules="<p>Add your own view; respond to the idea, not the person.</p>",
    )
    if created:
        made.append("Forum: Bowling Green 2050")
    if not Thread.objects.filter(forum=future, title=THREAD_TITLE).exists():
        count = _seed_polis_thread(future, people)
        made.append(f"Thread: {THREAD_TITLE} ({count} posts, Pol.is, CC BY 4.0)")
    return made


def _seed_polis_thread(forum: ForumPage, people: list[Any]) -> int:
    """Build the thread straight from the data (no notifications, no live events):
    it is history being loaded, not residents writing now."""
    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    thread = Thread.objects.create(forum=forum, author=people[0], title=THREAD_TITLE)
    posts = [
        Post(
            thread=thread,
            author=people[0],
            body=OPENING,
            body_html=render_body(OPENING, with_mentions=False).html,
        )
    ]
    for row in rows:
        text = row["comment-body"].strip()
        author = people[int(row["author-id"]) % len(people)]
        posts.append(
            Post(
                thread=thread,
                author=author,
                body=text,
                body_html=render_body(text, with_mentions=False).html,
            )
        )
    Post.objects.bulk_create(posts)
    saved = list(thread.posts.order_by("id"))
    # Pol.is agreement becomes likes by demo residents (a few each, not the author).
    likes = []
    for post, row in zip(saved[1:], rows, strict=True):
        agrees = min(int(row["agrees"]) // 10, len(people) - 1)
        likers = [p for p in people if p.pk != post.author_id][:agrees]
        likes += [PostLike(user=u, post=post) for u in likers]
    PostLike.objects.bulk_create(likes, ignore_conflicts=True)
    # Counts set once, on rows nobody else can see yet.
    for post_id, n in Counter(like.post_id for like in likes).items():
        Post.objects.filter(pk=post_id).update(like_count=n)
    Thread.objects.filter(pk=thread.pk).update(
        post_count=len(saved),
        like_count=len(likes),
        last_post_id=saved[-1].pk,
        last_activity_at=saved[-1].created_at,
        pinned=True,
    )
    return len(saved)


class _no_rate_limits:
    """The demo writes several posts per resident in a second: lift the posting limits."""

    def __enter__(self) -> None:
        from django.test import override_settings

        self._override = override_settings(
            AGORA_FORUM_RATE_LIMITS={
                "interval_seconds": 0,
                "new_account_interval_seconds": 0,
            }
        )
        self._override.enable()

    def __exit__(self, *exc: object) -> None:
        self._override.disable()


MODERATION_THREAD = "Parking on the pavement at the school"


def seed_moderation() -> list[str]:
    """Something for the demo moderator to do: a flagged post, a post held for review
    and an appeal against a hide, each made through the real actions. Once only."""
    from accounts.models import User
    from accounts.roles import Role
    from moderation.actions import Decision, do_appeal, do_decide, do_flag_content
    from moderation.models import FlagReason, Visibility

    if Thread.objects.filter(title=MODERATION_THREAD).exists():
        return []
    square = ForumPage.objects.filter(slug="town-square").first()
    moderator = User.objects.filter(groups__name=Role.MODERATOR.value).first()
    flagger = User.objects.filter(email="resident@agora.test").first()
    if square is None or moderator is None or flagger is None:
        return []
    people = demo_residents()
    with _no_rate_limits():
        thread = actions.do_start_thread(
            people[4],
            square,
            MODERATION_THREAD,
            "Every morning cars park on the pavement outside the school and "
            "children walk in the road. Could the city put up bollards?",
        )
        rude = actions.do_reply(
            people[5],
            thread,
            "Whoever parks there is an idiot and should have their tyres let down.",
        )
        do_flag_content(flagger, rude, FlagReason.ABUSE, "Calls people names.")
        hidden = actions.do_reply(
            people[6],
            thread,
            "Half the parents are from out of town anyway, they don't belong here.",
        )
        do_decide(moderator, hidden, Decision.HIDE, "Unkind to a group of residents.")
        do_appeal(
            people[6],
            hidden,
            "I meant the school run brings traffic from elsewhere, not the people. "
            "Please show it again; I will rephrase.",
        )
    # Held before publication, as a rule (links from a brand-new account) would:
    # the moderation queue picks it up when it is saved as pending.
    body = "Cheap parking permits here: https://example.com/permits"
    Post.objects.create(
        thread=thread,
        author=people[7],
        body=body,
        body_html=render_body(body, with_mentions=False).html,
        visibility=Visibility.PENDING,
        visibility_reason="Held for review: a link from a new account.",
    )
    return ["Moderation: a flagged post, a held post and an appeal"]
