"""Hostile input never runs, and every list page costs a fixed number of queries."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from forums import actions
from forums.markup import render_body
from forums.models import Post, PostLike, Thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '"><script>alert(1)</script>',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "'';!--\"<XSS>=&{()}",
    '![x](https://evil.example/x.png" onerror="alert(1))',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
FORBIDDEN_TAGS = {
    "script",
    "img",
    "svg",
    "iframe",
    "style",
    "math",
    "body",
    "xss",
    "object",
}


class ElementAudit(HTMLParser):
    """Collects what a browser would really build: elements and their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and value:
                scheme = value.strip().lower().split(":", 1)[0]
                if ":" in value and scheme not in ("http", "https", "mailto"):
                    self.problems.append(f"{tag}[{name}={value}]")


def assert_safe(html: str) -> None:
    audit = ElementAudit()
    audit.feed(html)
    assert audit.problems == [], html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payloads_in_bodies_are_inert(payload):
    assert_safe(render_body(payload).html)


def test_payloads_in_titles_bodies_and_display_names_never_execute(client, forum):
    for i, payload in enumerate(XSS_PAYLOADS):
        author = UserFactory(display_name=payload[:60])
        thread = actions.do_start_thread(author, forum, payload[:150], f"{payload} {i}")
        other = UserFactory()
        actions.do_reply(other, thread, f"@{payload[:60]} {payload}")
    for thread in Thread.objects.all():
        page = client.get(thread.get_absolute_url()).content.decode()
        body = page.split('<main id="main"', 1)[1].split("</main>")[0]
        assert_safe(body)
    listing = client.get(forum.url).content.decode().split('<main id="main"')[1]
    assert_safe(listing)
    results = client.get(reverse("forums:search"), {"q": "alert"}).content.decode()
    assert_safe(results.split('<main id="main"', 1)[1])


def test_links_get_nofollow_ugc():
    html = render_body("See [the plan](https://city.example/plan)").html
    assert 'rel="nofollow ugc"' in html


def _fill_thread(thread, n: int) -> None:
    people = UserFactory.create_batch(3)
    Post.objects.bulk_create(
        [
            Post(
                thread=thread,
                author=people[i % 3],
                body=f"p{i}",
                body_html=f"<p>p{i}</p>",
            )
            for i in range(n)
        ]
    )
    posts = list(thread.posts.all()[:5])
    PostLike.objects.bulk_create([PostLike(user=people[0], post=p) for p in posts])
    Post.objects.filter(pk__in=[p.pk for p in posts[1:]]).update(reply_to=posts[0])


@pytest.mark.parametrize("n", [5, 200])
def test_thread_page_query_count_is_fixed(
    client, forum, ana, n, django_assert_max_num_queries
):
    thread = actions.do_start_thread(ana, forum, "Long", "Opening")
    _fill_thread(thread, n)
    with django_assert_max_num_queries(10):
        assert client.get(thread.get_absolute_url()).status_code == 200
    client.force_login(UserFactory())
    with django_assert_max_num_queries(16):
        assert client.get(thread.get_absolute_url() + "?page=2").status_code == 200


@pytest.mark.parametrize("n", [3, 120])
def test_forum_page_query_count_is_fixed(
    client, forum, n, django_assert_max_num_queries
):
    people = UserFactory.create_batch(3)
    Thread.objects.bulk_create(
        [
            Thread(forum=forum, author=people[i % 3], title=f"T{i}", post_count=1)
            for i in range(n)
        ]
    )
    with django_assert_max_num_queries(12):
        assert client.get(forum.url).status_code == 200
    reader = UserFactory()
    client.force_login(reader)
    for thread in Thread.objects.all()[:3]:
        client.get(thread.get_absolute_url())
    for sort in ("latest", "top", "unanswered"):
        with django_assert_max_num_queries(15):
            assert client.get(forum.url + f"?sort={sort}&page=2").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(forum.get_parent().url).status_code == 200
