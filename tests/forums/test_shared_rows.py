"""A forum page's thread rows are rendered once per version, language and count
of new posts (forums.views.thread_rows) and shared between readers: each reader
still sees their own count of new posts, and a reply shows on the next visit."""

import pytest
from django.test import Client, override_settings

from forums.actions import do_reply, do_start_thread
from tests.factories import NO_FORUM_RATE_LIMITS, UserFactory, make_forum

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_each_reader_sees_their_own_new_posts_on_shared_rows():
    forum = make_forum("Town square")
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    thread = do_start_thread(ana, forum, "Night buses", "Please run night buses.")
    ben_client, cleo_client = signed_in(ben), signed_in(cleo)
    assert ben_client.get(thread.get_absolute_url()).status_code == 200
    assert "0 replies" in cleo_client.get(forum.url).content.decode()
    do_reply(ana, thread, "And on Sundays too.")
    do_reply(cleo, thread, "Yes please.")
    ben_page = ben_client.get(forum.url).content.decode()
    assert "2 new" in ben_page and "2 replies" in ben_page
    # Cleo never opened the thread and Ana's row is read: the shared row has no badge.
    for page in (cleo_client.get(forum.url), Client().get(forum.url)):
        html = page.content.decode()
        assert "2 replies" in html and " new</a>" not in html
    # Ben reads it: his badge goes, on the very next visit.
    ben_client.get(thread.get_absolute_url())
    assert " new</a>" not in ben_client.get(forum.url).content.decode()


@override_settings(AGORA_FORUM_RATE_LIMITS=NO_FORUM_RATE_LIMITS)
def test_each_reader_counts_the_threads_they_may_see_and_a_new_one_counts_at_once():
    """The forum's published threads are counted once per version for every reader
    (forums.queries.forum_thread_count); a reader's own waiting thread is added to
    theirs only, and a new thread counts on the very next visit."""
    from moderation.models import Visibility

    forum = make_forum("Town square")
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    for n in range(24):
        do_start_thread(cleo, forum, f"Topic {n}", f"Something to say, number {n}.")
    waiting = do_start_thread(ana, forum, "My waiting thread", "Please read it.")
    type(waiting).objects.filter(pk=waiting.pk).update(visibility=Visibility.PENDING)
    ana_client, ben_client = signed_in(ana), signed_in(ben)
    # 24 published for everyone (one page of 25), 25 for Ana with her own.
    assert "?sort=latest&amp;page=2" not in ben_client.get(forum.url).content.decode()
    assert "?sort=latest&amp;page=2" not in ana_client.get(forum.url).content.decode()
    do_start_thread(cleo, forum, "Topic 24", "One more.")
    do_start_thread(cleo, forum, "Topic 25", "And another.")
    # 26 published: a second page for every reader; Ana's has her waiting one too.
    assert "?sort=latest&amp;page=2" in ben_client.get(forum.url).content.decode()
    ana_page_2 = ana_client.get(forum.url + "?page=2").content.decode()
    ben_page_2 = ben_client.get(forum.url + "?page=2").content.decode()
    assert (
        ana_page_2.count('<li class="thread-row')
        == ben_page_2.count('<li class="thread-row') + 1
    )
