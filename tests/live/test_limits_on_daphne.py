"""WebSocket limits as a browser meets them on a real Daphne: the close code the
consumer chose (1008 policy, 1009 too big) with a reason, caps on connections per
session and per address, and nothing in the server's log above INFO."""

import asyncio
import json
import logging
import tempfile
from collections.abc import Iterator

import pytest
import websockets
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore

from config.routing import websocket_urlpatterns
from live.daphne_close import valid_close_code
from tests.live.test_several_processes import (
    daphne_process,
    shared_env,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def daphne(
    shared_env: dict[str, str],  # noqa: F811
) -> Iterator[tuple[str, tempfile._TemporaryFileWrapper]]:
    """One real Daphne process with small limits; its log is kept for the test."""
    env = {
        **shared_env,
        "LIVE_MAX_MESSAGE_BYTES": "200",
        "LIVE_MAX_TOPICS_PER_CONNECTION": "3",
        "LIVE_MAX_CONNECTIONS_PER_IP": "3",
    }
    with daphne_process(env) as (address, log):
        yield f"ws://{address}/ws/live/", log


ORIGIN = {"origin": "http://127.0.0.1"}


async def _refused(url: str, message: str) -> tuple[dict, int, str]:
    async with websockets.connect(url, **ORIGIN) as ws:
        await ws.send(message)
        error = json.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    return error, closed.value.rcvd.code, closed.value.rcvd.reason


def test_limits_close_with_1008_or_1009_and_a_reason_not_1011(daphne):
    url, log = daphne

    async def story() -> None:
        big = json.dumps({"action": "subscribe", "topics": ["x" * 300]})
        error, code, reason = await _refused(url, big)
        assert (error["code"], code, reason) == (
            "message_too_large",
            1009,
            "message_too_large",
        )

        many = json.dumps(
            {"action": "subscribe", "topics": ["a.1", "a.2", "a.3", "a.4"]}
        )
        error, code, reason = await _refused(url, many)
        assert (error["code"], code, reason) == (
            "too_many_topics",
            1008,
            "too_many_topics",
        )

    asyncio.run(story())
    log.seek(0)
    server_log = log.read().decode()
    assert "invalid close code" not in server_log
    assert "Traceback" not in server_log and "ERROR" not in server_log


def test_a_fourth_connection_from_one_address_is_closed_with_a_reason(daphne):
    url, _log = daphne

    async def story() -> None:
        open_ones = [await websockets.connect(url, **ORIGIN) for _ in range(3)]
        try:
            async with websockets.connect(url, **ORIGIN) as fourth:
                error = json.loads(await fourth.recv())
                assert error["code"] == "too_many_connections"
                assert "tabs" in error["message"]
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await fourth.recv()
                assert closed.value.rcvd.code == 1008
        finally:
            for ws in open_ones:
                await ws.close()

    asyncio.run(story())


async def _connect(session: SessionStore | None, address: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
    ws.scope["user"] = AnonymousUser()
    ws.scope["client"] = (address, 50000)
    if session is not None:
        ws.scope["session"] = session
    ok, _ = await ws.connect()
    assert ok
    return ws


async def test_one_session_is_capped_across_addresses_and_logged_at_info(
    settings, caplog
):
    settings.LIVE_MAX_CONNECTIONS_PER_SESSION = 2
    session = SessionStore()
    await asyncio.to_thread(session.create)
    first = await _connect(session, "10.0.0.1")
    second = await _connect(session, "10.0.0.2")
    caplog.set_level(logging.INFO, logger="live.consumers")
    third = await _connect(session, "10.0.0.3")
    error = await third.receive_json_from()
    assert error["code"] == "too_many_connections"
    closing = await third.receive_output()
    assert (closing["type"], closing["code"]) == ("websocket.close", 1008)
    refusals = [r for r in caplog.records if r.name == "live.consumers"]
    assert [r.levelname for r in refusals] == ["INFO"]
    # Another session on the same addresses is not affected.
    other = await _connect(None, "10.0.0.1")
    await other.send_json_to({"action": "unsubscribe", "topics": ["a.1"]})
    assert await other.receive_nothing()
    # Closing one of the session's tabs frees its place.
    await first.disconnect()
    again = await _connect(session, "10.0.0.4")
    assert await again.receive_nothing()
    for ws in (second, third, other, again):
        await ws.disconnect()


def test_only_sendable_close_codes_reach_the_wire():
    assert valid_close_code(1008) and valid_close_code(1009) and valid_close_code(4000)
    assert not valid_close_code(1005) and not valid_close_code(1006)


def _raw(address: str, request: bytes) -> bytes:
    import socket

    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_request_line_and_headers_get_414_and_431_with_a_body(daphne):
    url, _log = daphne
    address = url.removeprefix("ws://").split("/")[0]
    long_query = b"GET /search/?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _raw(address, long_query)
    assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert answer.endswith(b"The address (with its query) is too long.\n")
    big_headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-Filler-%d: %s\r\n" % (n, b"b" * 8000) for n in range(3)
    )
    answer = _raw(address, big_headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"too large" in answer
