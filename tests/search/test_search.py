"""The site's one search: a resident finds campaigns, ideas, threads, posts and
comments by their words, narrows by kind, place and state, and never finds what a
moderator hid. Runs on SQLite (FTS5) and on PostgreSQL (full text) alike."""

import re

import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from forums.actions import do_delete_post, do_edit_post, do_reply, do_start_thread
from ideas import actions as idea_actions
from moderation.actions import Decision, do_decide
from search.index import rebuild
from search.models import SearchEntry
from search.query import highlight, matching_ids, search, snippet, terms
from tests.factories import (
    ModeratorFactory,
    UserFactory,
    make_campaign,
    make_forum,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(db):
    """A campaign with two ideas, and a forum with a thread and a reply."""
    ana = UserFactory(display_name="Ana Lima")
    ben = UserFactory(display_name="Ben Okafor")
    campaign = make_campaign(title="Greener streets", slug="greener")
    trees = idea_actions.do_propose_idea(
        ana,
        campaign,
        title="Trees along Station Street",
        description="Plant a row of plane trees for shade in summer.",
    )
    bins = idea_actions.do_propose_idea(
        ben,
        campaign,
        title="More bins in the park",
        description="The park's bins overflow every weekend.",
    )
    forum = make_forum("Town square")
    thread = do_start_thread(
        ana, forum, "Fountains for the square", "Drinking fountains near benches."
    )
    reply = do_reply(ben, thread, "Yes, and shade trees beside them, please.")
    return {
        "ana": ana,
        "ben": ben,
        "campaign": campaign,
        "trees": trees,
        "bins": bins,
        "forum": forum,
        "thread": thread,
        "reply": reply,
    }


def kinds_found(text, **kw):
    results = search(text, **kw)
    return sorted((hit.kind, hit.object_id) for hit in results.page.object_list)


def test_new_content_is_found_at_once_across_kinds(city):
    found = kinds_found("trees")
    assert ("idea", city["trees"].pk) in found
    assert ("post", city["reply"].pk) in found
    assert ("thread", city["thread"].pk) in kinds_found("fountains")
    assert ("campaign", city["campaign"].pk) in kinds_found("greener")


def test_words_are_stemmed_and_prefixed(city):
    # "tree" finds "trees"; "fount" (a prefix) finds "fountains".
    assert ("idea", city["trees"].pk) in kinds_found("tree")
    assert ("thread", city["thread"].pk) in kinds_found("fount")
    # All words are required.
    assert kinds_found("trees bins") == []


def test_facets_count_and_narrow(city):
    results = search("trees")
    by_kind = {f.value: f.count for f in results.kinds}
    assert by_kind == {"idea": 1, "post": 1}
    places = {f.value: f.count for f in results.places}
    assert places == {city["campaign"].pk: 1, city["forum"].pk: 1}
    assert {f.label for f in results.places} == {"Greener streets", "Town square"}
    assert kinds_found("trees", kinds=["post"]) == [("post", city["reply"].pk)]
    assert kinds_found("trees", place_id=city["campaign"].pk) == [
        ("idea", city["trees"].pk)
    ]
    states = {f.value for f in results.states}
    assert states == {"published"}
    assert kinds_found("trees", state="accepted") == []


def test_pagination_is_by_page_number(city):
    campaign = city["campaign"]
    from ideas.models import Idea

    for i in range(25):
        Idea.objects.create(
            campaign=campaign, title=f"Bench number {i}", description="A bench."
        )
    first = search("bench", kinds=["idea"], page_number=1)
    second = search("bench", kinds=["idea"], page_number=2)
    assert first.total == 25
    assert len(first.page.object_list) == 20 and len(second.page.object_list) == 5
    ids = {h.object_id for h in first.page.object_list} | {
        h.object_id for h in second.page.object_list
    }
    assert len(ids) == 25
    assert search("bench", page_number="nonsense").page.number == 1
    assert search("bench", kinds=["idea"], page_number=99).page.number == 2


def test_hidden_content_is_not_found_and_restored_content_is(city):
    moderator = ModeratorFactory()
    trees, reply = city["trees"], city["reply"]
    do_decide(moderator, trees, Decision.HIDE, "Off topic")
    do_decide(moderator, reply, Decision.HIDE, "Off topic")
    assert kinds_found("trees") == []
    do_decide(moderator, trees, Decision.RESTORE)
    assert kinds_found("trees") == [("idea", trees.pk)]


def test_hiding_a_thread_hides_its_posts(city):
    moderator = ModeratorFactory()
    do_decide(moderator, city["thread"], Decision.HIDE, "Spam")
    assert kinds_found("fountains") == []
    assert kinds_found("shade", kinds=["post"]) == []


def test_edits_withdrawals_and_deletions_keep_the_index_current(city):
    reply = city["reply"]
    do_edit_post(city["ben"], reply, "Yes, and a pergola beside them.")
    assert ("post", reply.pk) in kinds_found("pergola")
    assert ("post", reply.pk) not in kinds_found("trees")
    do_delete_post(city["ben"], reply)
    assert kinds_found("pergola") == []
    idea_actions.do_withdraw_idea(city["ana"], city["trees"])
    assert kinds_found("trees") == []


def test_comments_on_ideas_are_found_under_their_campaign(city):
    from ideas.models import Idea

    idea = Idea.objects.get(pk=city["bins"].pk)
    comment = do_reply(city["ana"], idea.thread, "Recycling bins as well, please.")
    results = search("recycling")
    hit = results.page.object_list[0]
    assert (hit.kind, hit.object_id) == ("comment", comment.pk)
    assert hit.place_id == city["campaign"].pk
    assert hit.url.endswith(f"#post-{comment.pk}")
    do_decide(ModeratorFactory(), idea, Decision.HIDE, "Duplicate")
    assert kinds_found("recycling") == []


def test_places_that_are_not_public_are_left_out(city):
    forum = city["forum"]
    PageViewRestriction.objects.create(
        page=forum, restriction_type=PageViewRestriction.LOGIN
    )
    assert kinds_found("fountains") == []
    campaign = city["campaign"]
    campaign.unpublish()
    assert kinds_found("trees") == []


HOSTILE = [
    '"',
    '"""',
    "trees\"' OR 1=1 --",
    "AND OR NOT",
    "NEAR(trees park)",
    "trees*",
    "^trees",
    "title:trees",
    "{title body}: trees",
    "(trees",
    "trees)",
    "- trees",
    "tree\x00s",
    "\x00",
    "'",
    "\\",
    ":*",
    "a & b | !c",
    "x" * 100_000,
    "trees " * 500,
    "<script>alert(1)</script>",
    "😀 🌳",
    "парк деревья",
    "%_%",
]


def test_hostile_queries_are_answered_calmly(client, city):
    for hostile in HOSTILE:
        _assert_calm(client, city, hostile)


def _assert_calm(client, city, hostile):
    response = client.get(reverse("search"), {"q": hostile, "kind": ["idea", "x" * 99]})
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    # The search engine itself, through the campaign page's and forum's boxes.
    assert client.get(city["campaign"].url, {"q": hostile}).status_code == 200
    assert client.get(reverse("forums:search"), {"q": hostile}).status_code == 200


def test_quotes_and_operators_are_plain_words(city):
    trees = ("idea", city["trees"].pk)
    for text in [
        '"trees"',
        "(trees",
        "trees)",
        "trees*",
        "^trees",
        "- trees",
        "{trees}",
    ]:
        assert trees in kinds_found(text), text
    # FTS5's own operators are words to look for, not syntax.
    assert kinds_found("trees NOT shade") == []
    assert kinds_found("trees OR bins") == []


def test_odd_parameters_are_ignored(client, city):
    response = client.get(
        reverse("search"),
        {"q": "trees", "place": "1e9", "state": "x" * 500, "page": "-3"},
    )
    assert response.status_code == 200
    response = client.get(reverse("search"), {"q": "trees", "place": "9" * 40})
    assert response.status_code == 200
    assert "along Station Street" in response.content.decode()


def test_terms_drop_syntax_and_cap_length():
    assert terms('"trees" AND (park*)') == ["trees", "and", "park"]
    assert terms("a\x00b") == ["a", "b"]
    assert len(terms(" ".join(f"w{i}" for i in range(50)))) == 8
    assert terms("*:-^") == []


def test_highlight_escapes_before_marking():
    text = "<b>Trees</b> & tree-lined <script>"
    marked = highlight(text, ["trees"])
    assert marked == (
        "&lt;b&gt;<mark>Trees</mark>&lt;/b&gt; &amp; <mark>tree</mark>-lined "
        "&lt;script&gt;"
    )
    assert "<mark>" not in highlight("<mark>x</mark>", ["zzz"])
    long = "word " * 100 + "fountain here " + "word " * 100
    piece = snippet(long, ["fountains"])
    assert piece.startswith("… ") and "<mark>fountain</mark>" in piece
    assert len(piece) < 300


def test_search_page_shows_highlights_facets_and_escapes(client, city):
    from ideas.models import Idea

    Idea.objects.create(
        campaign=city["campaign"],
        title="<img src=x onerror=alert(1)> trees for all",
        description="x",
    )
    html = client.get(reverse("search"), {"q": "trees"}).content.decode()
    assert "<mark>Trees</mark> along Station Street" in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>trees</mark>" in html
    assert "<img src=x" not in html
    assert re.search(r"Ideas \(2\)", html)
    assert "Town square (1)" in html
    narrowed = client.get(
        reverse("search"), {"q": "trees", "kind": "post"}
    ).content.decode()
    assert "Yes, and shade <mark>trees</mark>" in narrowed
    assert "Station Street" not in narrowed


def test_search_page_queries_are_bounded(client, city, django_assert_max_num_queries):
    from ideas.models import Idea

    for i in range(60):
        Idea.objects.create(
            campaign=city["campaign"], title=f"Tree {i}", description="tree"
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("search"), {"q": "tree"})
    assert response.context["results"].total == 62  # 61 ideas and the reply


def test_campaign_and_forum_boxes_use_the_same_engine(client, city):
    html = client.get(city["campaign"].url, {"q": "tree"}).content.decode()
    assert "Trees along Station Street" in html
    assert "More bins in the park" not in html
    assert matching_ids("idea", "park", place_id=city["campaign"].pk) == [
        city["bins"].pk
    ]
    forum_html = client.get(
        reverse("forums:search"), {"q": "shade", "place": city["forum"].pk}
    ).content.decode()
    assert "Yes, and <mark>shade</mark> trees" in forum_html
    assert "Station Street" not in forum_html


def test_rebuild_matches_the_live_index(city):
    before = set(SearchEntry.objects.values_list("kind", "object_id"))
    counts = rebuild()
    after = set(SearchEntry.objects.values_list("kind", "object_id"))
    assert before == after
    assert counts["idea"] == 2 and counts["post"] == 2 and counts["thread"] == 1
