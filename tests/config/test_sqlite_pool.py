"""SQLite connections outlive the request (config/sqlite_backend): under ASGI each
request runs in a thread of its own, and opening the database afresh each time
cost more than the whole bare view. A connection is reused only when it is clean.
The PostgreSQL setup pools through psycopg; these are about the SQLite setup."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.backends.signals import connection_created

from tests.config.test_http_concurrency import get
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="the SQLite setup's own pool; PostgreSQL's is psycopg's",
    ),
]


def in_thread(work: Callable[[], Any]) -> Any:
    """Run `work` in a new thread, as a request does, and close the thread's
    connection at the end, as Django does when the request finishes."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(work())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0]


def raw_connection() -> Any:
    connection.ensure_connection()
    return connection.connection


def test_requests_in_other_threads_reuse_one_connection(settings):
    settings.AGORA_RATE_LIMITS = {}
    UserFactory()
    opened: list[Any] = []

    def created(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append(connection.connection)

    connection_created.connect(created)
    try:
        import asyncio

        for _ in range(3):
            status, _, _ = asyncio.run(get("/api/campaigns/"))
            assert status == 200
    finally:
        connection_created.disconnect(created)
    # The real ASGI app: three requests, three threads, one SQLite connection.
    assert len(opened) == 3
    assert opened[1] is opened[0] and opened[2] is opened[0]


def test_a_transaction_left_open_is_rolled_back_before_the_next_request():
    user = UserFactory()

    def leave_a_transaction_open() -> Any:
        conn = raw_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "UPDATE accounts_user SET display_name = 'half-done' WHERE id = %s",
                [user.pk],
            )
        assert conn.in_transaction
        return conn

    def read_back() -> tuple[Any, bool, str]:
        conn = raw_connection()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT display_name FROM accounts_user WHERE id = %s", [user.pk]
            )
            (name,) = cursor.fetchone()
        return conn, conn.in_transaction, name

    first = in_thread(leave_a_transaction_open)
    second, open_after, name = in_thread(read_back)
    assert second is first  # reused ...
    assert not open_after  # ... clean
    assert name == user.display_name  # the half-done write was rolled back


def test_a_connection_closed_inside_atomic_is_closed_not_pooled():
    def close_inside_atomic() -> Any:
        with transaction.atomic():
            conn = raw_connection()
            connection.close()
        return conn

    closed = in_thread(close_inside_atomic)
    assert in_thread(raw_connection) is not closed
