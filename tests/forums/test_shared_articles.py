"""A post's article (header, body and controls) is rendered once per version,
language and kind of reader (forums.views.post_articles) and shared: the next
resident of the same kind renders none, every reader still gets their own controls,
and the buttons submit through the page's one form, which holds this reader's CSRF
token, so no token is ever shared."""

import re

import pytest
from django.test import Client, override_settings

from forums.actions import do_reply, do_set_post_like, do_start_thread
from forums.fragments import post as live_post
from forums.models import PostLike
from tests.factories import NO_FORUM_RATE_LIMITS, UserFactory, make_forum

pytestmark = pytest.mark.django_db

ARTICLE = "forums/includes/post_article.html"


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def article(html: str, post_pk: int) -> str:
    match = re.search(
        rf'<li class="post[^"]*" id="post-{post_pk}">(.*?)</li>', html, re.S
    )
    assert match, f"post {post_pk} not on the page"
    return match.group(1)


def rendered(response) -> list[str]:
    return [t.name for t in response.templates]


@pytest.fixture
def thread():
    forum = make_forum("Town square")
    ana = UserFactory(display_name="Ana")
    started = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    do_reply(ana, started, "And on Sundays too.")
    return started


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_the_next_resident_of_the_same_kind_renders_no_post(thread):
    ben, dave = UserFactory(), UserFactory()
    first = signed_in(ben).get(thread.get_absolute_url())
    assert rendered(first).count(ARTICLE) == 2
    again = signed_in(dave).get(thread.get_absolute_url())
    assert ARTICLE not in rendered(again)
    posts = list(thread.posts.order_by("id"))
    for post in posts:
        assert article(again.content.decode(), post.pk) == article(
            first.content.decode(), post.pk
        )
    # A new post moves the version: the next page shows it, rendered afresh.
    do_reply(ben, thread, "Every half hour would do.")
    later = signed_in(dave).get(thread.get_absolute_url()).content.decode()
    assert "Every half hour would do." in later


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_each_reader_gets_their_own_controls_from_shared_articles(thread):
    ana = thread.author
    cleo, ben = UserFactory(), UserFactory()
    first = thread.posts.order_by("id").first()
    do_set_post_like(cleo, first, True)
    pages = {
        "ben": signed_in(ben).get(thread.get_absolute_url()).content.decode(),
        "cleo": signed_in(cleo).get(thread.get_absolute_url()).content.decode(),
        "ana": signed_in(ana).get(thread.get_absolute_url()).content.decode(),
        "visitor": Client().get(thread.get_absolute_url()).content.decode(),
    }
    mine = {who: article(html, first.pk) for who, html in pages.items()}
    assert ">Like</button>" in mine["ben"] and "Unlike" not in mine["ben"]
    assert ">Unlike</button>" in mine["cleo"] and 'aria-pressed="true"' in mine["cleo"]
    assert ">Edit</a>" in mine["ana"] and ">Delete</button>" in mine["ana"]
    assert "Like</button>" not in mine["ana"] and ">Flag<" not in mine["ana"]
    for who in ("ben", "cleo"):
        assert ">Edit</a>" not in mine[who] and ">Flag<" in mine[who]
    assert "<button" not in mine["visitor"] and ">Flag<" not in mine["visitor"]
    # No token in any shared article; one per resident's page, in #item-actions.
    for who, html in pages.items():
        assert "csrfmiddlewaretoken" not in mine[who]
        assert html.count('id="item-actions"') == (0 if who == "visitor" else 1)


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_a_like_button_submits_through_the_pages_form_with_its_token(thread):
    ben = UserFactory()
    client = signed_in(ben, enforce_csrf_checks=True)
    first = thread.posts.order_by("id").first()
    html = client.get(thread.get_absolute_url()).content.decode()
    form = re.search(r'<form id="item-actions" method="post" hidden>(.*?)</form>', html)
    assert form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(1))
    button = re.search(
        r'<button type="submit" form="item-actions" formaction="([^"]+)" '
        r'name="liked" value="1"',
        article(html, first.pk),
    )
    assert token and button
    # Without the page's token the post is refused; with it, the like counts.
    assert client.post(button.group(1), {"liked": "1"}).status_code == 403
    response = client.post(
        button.group(1), {"liked": "1", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    assert PostLike.objects.filter(user=ben, post=first).exists()


def test_a_live_post_shows_resident_controls_only_to_residents(thread):
    html = live_post(thread.posts.order_by("id").first(), thread)
    assert "csrfmiddlewaretoken" not in html
    assert re.search(r"<button[^>]*data-residents-only[^>]*>Like</button>", html)
    assert re.search(r'class="flag link-button"[^>]*data-residents-only', html)
    assert re.search(r"<span[^>]*data-owner-only hidden>", html)


def reply_form(html: str) -> str:
    match = re.search(
        r'<form method="post" action="[^"]*" class="reply-form">(.*?)</form>',
        html,
        re.S,
    )
    assert match, "no reply form on the page"
    return match.group(1)


def test_the_reply_form_is_rendered_once_and_keeps_each_readers_token(thread):
    """The reply form's fields look the same to every resident: the next one
    renders no field template, and still gets a form with their own token; a
    form sent back with an error is the reader's own and shows their text."""
    ben, dave = UserFactory(), UserFactory()
    ben_client, dave_client = signed_in(ben), signed_in(dave)
    first = ben_client.get(thread.get_absolute_url())
    assert "components/form_fields.html" in rendered(first)
    again = dave_client.get(thread.get_absolute_url())
    assert "components/form_fields.html" not in rendered(again)
    ben_form = reply_form(first.content.decode())
    dave_form = reply_form(again.content.decode())
    assert 'name="body"' in dave_form and 'name="reply_to"' in dave_form
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(ben_form).group(1) != token.search(dave_form).group(1)
    assert token.sub("", ben_form) == token.sub("", dave_form)

    # Answering a post: its id is the form's initial value, in a copy of its own.
    post = thread.posts.order_by("id").first()
    answering = dave_client.get(f"{thread.get_absolute_url()}?reply_to={post.pk}")
    assert f'name="reply_to" value="{post.pk}"' in reply_form(
        answering.content.decode()
    )

    # Sent back with an error: rendered for this reader, with what they wrote.
    sent = dave_client.post(
        f"/discussions/threads/{thread.pk}/reply/", {"body": "x" * 20000}
    )
    assert "x" * 100 in reply_form(sent.content.decode())
