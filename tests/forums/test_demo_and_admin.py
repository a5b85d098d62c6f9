"""The demo city has two forums, one holding the real Pol.is conversation; staff see
threads and posts in the admin; the home page and the header lead to the forums."""

import io

import pytest
from django.core.management import call_command

from forums.models import ForumPage, Post, Thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_two_forums_and_the_polis_thread_once(client):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert ForumPage.objects.count() == 2
    polis = Thread.objects.get(title__startswith="Bowling Green in 2050")
    assert polis.posts.count() == polis.post_count == 317
    page = client.get(polis.get_absolute_url()).content.decode()
    assert "The Computational Democracy Project" in page
    assert "CC BY 4.0" in page
    assert Post.objects.filter(thread=polis, author__isnull=True).count() == 0
    home = client.get("/").content.decode()
    assert "Town square" in home and "Bowling Green 2050" in home
    index = client.get("/discussions/")
    assert index.status_code == 302
    assert "Town square" in client.get(index["Location"]).content.decode()


def test_staff_see_threads_and_posts_in_the_admin_with_filters(client, forum):
    from forums import actions

    admin = UserFactory(is_superuser=True, is_staff=True)
    author = UserFactory()
    thread = actions.do_start_thread(author, forum, "Admin-visible", "Body text")
    client.force_login(admin)
    listing = client.get(
        "/admin/forum_threads/", {"forum": forum.pk, "visibility": "published"}
    )
    assert listing.status_code == 200
    assert "Admin-visible" in listing.content.decode()
    posts = client.get("/admin/forum_posts/", {"author": author.pk})
    assert posts.status_code == 200
    assert (
        client.get(f"/admin/forum_posts/inspect/{thread.posts.get().pk}/").status_code
        == 200
    )


def test_the_admin_offers_no_add_form_for_threads_or_posts(client):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/forum_threads/").status_code == 200
    # A search with no words left (a lone quote) is an empty listing, not a 500.
    for url in ("/admin/forum_threads/", "/admin/forum_posts/"):
        assert client.get(url, {"q": '"'}).status_code == 200
    # A thread needs its forum (or host) and first post: only forums.actions makes one.
    for url in ("/admin/forum_threads/new/", "/admin/forum_posts/new/"):
        assert client.post(url, {"title": "x"}).status_code in {302, 403}
