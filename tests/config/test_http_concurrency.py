"""A burst under ASGI queues instead of failing: at most AGORA_HTTP_CONCURRENCY
requests of a process run at once, the rest wait their turn, and a request that
waited its bound is answered 503 with Retry-After. The real ASGI application of
config/asgi.py, driven with ASGI messages as a server sends them."""

import asyncio
import json

import pytest
from django.core.signals import request_finished, request_started

from config.concurrency import Ticket, give_back, take_slot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    from config.asgi import django_asgi_app

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []
    done = asyncio.Event()
    body_given = False

    async def receive() -> dict:
        nonlocal body_given
        if not body_given:
            body_given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await django_asgi_app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


@pytest.fixture
def open_campaigns(settings):
    settings.AGORA_RATE_LIMITS = {}
    UserFactory()  # something in the database for the API's queries to read


async def test_a_burst_of_forty_runs_at_most_the_bound_at_once_and_all_succeed(
    settings, open_campaigns
):
    settings.AGORA_HTTP_CONCURRENCY = 3
    running = 0
    most = 0

    def started(**kwargs: object) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)

    def finished(**kwargs: object) -> None:
        nonlocal running
        running -= 1

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        answers = await asyncio.gather(*(get("/api/campaigns/") for _ in range(40)))
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)
    assert [status for status, _, _ in answers] == [200] * 40
    assert 1 <= most <= 3


async def test_a_request_that_waited_its_bound_gets_503_and_healthz_never_waits(
    settings, open_campaigns
):
    settings.AGORA_HTTP_CONCURRENCY = 1
    settings.AGORA_HTTP_QUEUE_SECONDS = 0.2
    holder = Ticket(path="/somewhere/")
    await take_slot(holder)  # the only slot, taken by a long request
    assert holder.held
    try:
        status, headers, body = await get("/api/campaigns/")
        assert (status, headers[b"Retry-After"]) == (503, b"5")
        assert json.loads(body)["error"] == "busy"
        status, headers, body = await get("/")
        assert (status, headers[b"Retry-After"]) == (503, b"5")
        assert b"try again" in body
        # A load balancer's liveness check is answered at once.
        status, _, body = await get("/healthz")
        assert (status, body) == (200, b"ok")
    finally:
        give_back(holder)
    status, _, _ = await get("/api/campaigns/")
    assert status == 200


async def test_past_the_longest_queue_a_request_is_refused_without_waiting(
    settings, open_campaigns
):
    settings.AGORA_HTTP_CONCURRENCY = 1
    settings.AGORA_HTTP_QUEUE_SECONDS = 30
    settings.AGORA_HTTP_QUEUE_MAX = 0
    holder = Ticket(path="/somewhere/")
    await take_slot(holder)
    try:
        status, headers, _ = await asyncio.wait_for(get("/api/campaigns/"), 5)
        assert (status, headers[b"Retry-After"]) == (503, b"5")
    finally:
        give_back(holder)


async def test_without_a_bound_requests_run_as_before(settings, open_campaigns):
    settings.AGORA_HTTP_CONCURRENCY = 0
    answers = await asyncio.gather(*(get("/api/campaigns/") for _ in range(5)))
    assert [status for status, _, _ in answers] == [200] * 5
