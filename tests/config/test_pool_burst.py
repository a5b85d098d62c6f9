"""A burst that exhausts the database pool (PostgreSQL): with a pool of 2, 50
concurrent writers wait their turn and all succeed; a request that cannot get a
connection within the bound is answered 503 with Retry-After, never 500. Real
threads, real requests, the real psycopg pool."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test import Client

from forums import actions
from forums.models import Post
from tests.factories import UserFactory, make_forum

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 50


@contextmanager
def pool_of(size: int, timeout: float) -> Iterator[object]:
    """Replace this process's pool with a smaller one for the test."""
    options = connections.settings["default"]["OPTIONS"]
    saved = dict(options["pool"])
    connection.close()
    connection.close_pool()
    options["pool"] = {**saved, "min_size": 1, "max_size": size, "timeout": timeout}
    try:
        pool = connection.pool
        if pool.closed:
            pool.open(wait=True)
        yield pool
    finally:
        connection.close()
        connection.close_pool()
        options["pool"] = saved


@pytest.fixture
def postgres_pool():
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool exists only on PostgreSQL (CI's second run)")


@pytest.fixture
def liked_post(settings):
    settings.AGORA_RATE_LIMITS = {"like": "", "any_write": ""}
    forum = make_forum("Burst square")
    thread = actions.do_start_thread(UserFactory(), forum, "Like me", "Please")
    return thread.posts.get()


def test_fifty_writers_on_a_pool_of_two_all_succeed(postgres_pool, liked_post):
    likers = UserFactory.create_batch(WRITERS)
    clients = []
    for user in likers:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def like(client: Client) -> None:
        start.wait()
        response = client.post(f"/discussions/posts/{liked_post.pk}/like/")
        with lock:
            statuses.append(response.status_code)
        connections.close_all()

    with pool_of(2, timeout=60):
        threads = [threading.Thread(target=like, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(302) == WRITERS, statuses
        assert Post.objects.get(pk=liked_post.pk).like_count == WRITERS


def test_past_the_bound_a_request_gets_503_with_retry_after(postgres_pool, client):
    with pool_of(2, timeout=0.5) as pool:
        # Every connection is taken (by this test) for longer than the bound.
        held = [pool.getconn(), pool.getconn()]
        try:
            answers: list = []

            def visit() -> None:
                c = Client(raise_request_exception=False)
                answers.append(c.get("/api/campaigns/"))
                answers.append(c.get("/"))

            thread = threading.Thread(target=visit)
            thread.start()
            thread.join()
        finally:
            for conn in held:
                pool.putconn(conn)
        api, page = answers
        assert (api.status_code, api["Retry-After"]) == (503, "5")
        assert api.json()["error"] == "busy"
        assert (page.status_code, page["Retry-After"]) == (503, "5")
        assert "try again" in page.content.decode()
        # Once connections are free again, the same request succeeds.
        assert Client().get("/api/campaigns/").status_code == 200
