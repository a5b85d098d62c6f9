"""The fan-out layers (live/layers.py): one event to many tabs, across processes
over Redis, and what happens when Redis is slow or away.

Redis is the real one (REDIS_URL); a test that makes it slow or takes it away
does so on the wire, with `RedisProxy` in between. Each test uses a layer prefix
of its own, so nothing is shared between tests."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import override_settings

import live
from config.routing import websocket_urlpatterns
from live.layers import LocalFanoutLayer, RedisFanoutLayer
from live.publish import unsent
from live.relay import layer_message
from live.topics import group_name, register_topic
from tests.live.redis_proxy import RedisProxy

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="needs REDIS_URL (CI sets it for its second run)"
)

register_topic("open", lambda user, key: True)

# Long enough for a loaded CI machine; every wait ends as soon as its outcome shows.
WAIT = 20


def fanout(url: str, prefix: str, **config: Any) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "live.layers.RedisFanoutLayer",
            "CONFIG": {"hosts": [url], "prefix": prefix, **config},
        }
    }


@pytest.fixture
def prefix() -> str:
    return f"agora-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def proxy() -> Iterator[RedisProxy]:
    relay = RedisProxy(REDIS_URL)
    yield relay
    relay.close()


@pytest.fixture(autouse=True)
def _no_backlog_left() -> Iterator[None]:
    yield
    unsent.oldest = None


@asynccontextmanager
async def tab(*topics: str, address: str = "10.1.0.1"):
    ws = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
    ws.scope["user"] = AnonymousUser()
    ws.scope["client"] = (address, 50000)
    ok, _ = await ws.connect(timeout=WAIT)
    assert ok
    try:
        if topics:
            await ws.send_json_to({"action": "subscribe", "topics": list(topics)})
            assert (await ws.receive_json_from(timeout=WAIT))["type"] == "subscribed"
        yield ws
    finally:
        await ws.disconnect()


@database_sync_to_async
def publish(topic: str, n: int) -> int:
    with transaction.atomic():
        return live.publish_on_commit(topic, "thing.happened", {"n": n}).id


def event(event_id: int, topic: str = "open.1") -> dict[str, Any]:
    return {"id": event_id, "topic": topic, "type": "t", "data": {}}


# -- the embedded layer ------------------------------------------------------------


async def test_the_embedded_layer_hands_one_message_to_every_member_once():
    layer = LocalFanoutLayer()
    channels = [await layer.new_channel() for _ in range(300)]
    for channel in channels:
        await layer.group_add("live.open.1", channel)
    message = layer_message(event(7))
    await layer.group_send("live.open.1", message)
    received = [await layer.receive(channel) for channel in channels]
    # The same encoded text for all: encoded once by the publisher.
    assert all(m["text"] == message["text"] for m in received)
    assert json.loads(received[0]["text"])["id"] == 7
    assert all(layer.channels.get(c) is None for c in channels)  # nothing left


# -- Redis: across processes ----------------------------------------------------------


@needs_redis
async def test_one_publish_reaches_every_tab_of_two_processes(prefix):
    # Two layers with one prefix are what two server processes hold.
    one, two = (
        RedisFanoutLayer([REDIS_URL], prefix),
        RedisFanoutLayer([REDIS_URL], prefix),
    )
    members = {one: [], two: []}
    for layer in (one, two):
        for _ in range(150):
            channel = await layer.new_channel()
            await layer.group_add("live.open.1", channel)
            members[layer].append(channel)
    await one.group_send("live.open.1", layer_message(event(41)))
    for layer, channels in members.items():
        for channel in channels:
            message = await asyncio.wait_for(layer.receive(channel), WAIT)
            assert message["id"] == 41
    # A tab that left gets nothing more; the others still do.
    gone = members[two].pop()
    await two.group_discard("live.open.1", gone)
    await two.group_send("live.open.1", layer_message(event(42)))
    for layer, channels in members.items():
        for channel in channels:
            assert (await asyncio.wait_for(layer.receive(channel), WAIT))["id"] == 42
    await one.flush()
    await two.flush()


# -- Redis slow or away: the consumer stays -----------------------------------------


async def test_a_tab_connects_and_subscribes_while_redis_is_unreachable(prefix):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    with override_settings(
        CHANNEL_LAYERS=fanout(closed, prefix), LIVE_RESEND_RETRY_SECONDS=0
    ):
        async with tab("open.1") as ws:
            # Published while away: stored, not lost, and the tab is still open.
            await publish("open.1", 1)
            assert unsent.oldest is not None
            await ws.send_json_to({"action": "unsubscribe", "topics": ["open.1"]})
            assert await ws.receive_nothing()


@needs_redis
async def test_a_tab_survives_a_stalled_redis_and_gets_events_when_it_flows(
    prefix, proxy
):
    with override_settings(
        CHANNEL_LAYERS=fanout(proxy.url, prefix, socket_timeout=0.3),
        LIVE_COUNT_TIMEOUT_SECONDS=0.3,
        LIVE_RESEND_RETRY_SECONDS=0.2,
    ):
        proxy.stall()
        # Counting, joining the group and publishing all time out on the wire;
        # the tab is accepted, subscribed and stays open (no 1011).
        async with tab("open.1") as ws:
            first = await publish("open.1", 1)
            assert await ws.receive_nothing(timeout=0.5)
            proxy.resume()
            # The stored event is resent in the background; a new one follows.
            got = await ws.receive_json_from(timeout=WAIT)
            assert got["id"] == first
            second = await publish("open.1", 2)
            assert (await ws.receive_json_from(timeout=WAIT))["id"] == second
            assert await ws.receive_nothing()


@needs_redis
async def test_events_stored_while_redis_was_away_are_resent_when_it_returns(
    prefix, proxy
):
    """The publishing process loses Redis; the tab's process does not. Nothing
    is published after Redis returns: the background resend alone delivers."""
    listener = RedisFanoutLayer([REDIS_URL], prefix)
    channel = await listener.new_channel()
    await listener.group_add(group_name("open.3"), channel)
    # The listener hears the group (its subscription is live) before Redis goes.
    await listener.group_send(group_name("open.3"), layer_message(event(1, "open.3")))
    assert (await asyncio.wait_for(listener.receive(channel), WAIT))["id"] == 1
    with override_settings(
        CHANNEL_LAYERS=fanout(proxy.url, prefix), LIVE_RESEND_RETRY_SECONDS=0.2
    ):
        proxy.take_away()
        missed = [await publish("open.3", n) for n in (1, 2)]
        assert unsent.oldest == missed[0]
        proxy.bring_back()
        got = [
            (await asyncio.wait_for(listener.receive(channel), WAIT))["id"]
            for _ in missed
        ]
    assert got == missed
    await listener.flush()


@needs_redis
async def test_a_process_whose_subscription_dropped_catches_up_from_the_log(
    prefix, proxy
):
    """The tab's process loses Redis while others publish: when its subscriber
    reconnects, it hands its tabs what was logged meanwhile."""
    with override_settings(CHANNEL_LAYERS=fanout(proxy.url, prefix)):
        async with tab("open.4") as ws:
            before = await publish_through(REDIS_URL, prefix, "open.4", 0)
            assert (await ws.receive_json_from(timeout=WAIT))["id"] == before
            proxy.take_away()
            missed = await publish_through(REDIS_URL, prefix, "open.4", 1)
            proxy.bring_back()
            assert (await ws.receive_json_from(timeout=WAIT))["id"] == missed
            assert await ws.receive_nothing()


async def publish_through(url: str, prefix: str, topic: str, n: int) -> int:
    """Publish as another process would: its own layer, straight to Redis."""
    with override_settings(CHANNEL_LAYERS=fanout(url, prefix)):
        return await publish(topic, n)


# -- connection caps across processes ------------------------------------------------


@needs_redis
async def test_the_address_cap_holds_across_two_processes(prefix):
    """Two server processes share one count: their layers are two instances."""
    from live.connections import counter

    one, two = (
        RedisFanoutLayer([REDIS_URL], prefix),
        RedisFanoutLayer([REDIS_URL], prefix),
    )
    keys = [("LIVE_MAX_CONNECTIONS_PER_IP", "ip:10.9.9.9")]
    with override_settings(LIVE_MAX_CONNECTIONS_PER_IP=3):
        assert await counter.open(one, keys, "a") == (None, "redis")
        assert await counter.open(one, keys, "b") == (None, "redis")
        assert await counter.open(two, keys, "c") == (None, "redis")
        full = await counter.open(two, keys, "d")
        assert full == ("LIVE_MAX_CONNECTIONS_PER_IP", "redis")
        await counter.close(one, keys, "a", "redis")
        assert await counter.open(two, keys, "d") == (None, "redis")
        for member, layer in (("b", one), ("c", two), ("d", two)):
            await counter.close(layer, keys, member, "redis")


@needs_redis
async def test_over_the_cap_on_another_process_a_tab_is_told_why(prefix):
    other = RedisFanoutLayer([REDIS_URL], prefix)
    from live.connections import counter

    keys = [("LIVE_MAX_CONNECTIONS_PER_IP", "ip:10.1.0.9")]
    with override_settings(
        CHANNEL_LAYERS=fanout(REDIS_URL, prefix), LIVE_MAX_CONNECTIONS_PER_IP=2
    ):
        # Two tabs from this address are open on another server process.
        for member in ("x", "y"):
            assert (await counter.open(other, keys, member))[0] is None
        async with tab(address="10.1.0.9") as ws:
            error = await ws.receive_json_from(timeout=WAIT)
            assert error["code"] == "too_many_connections"
            closing = await ws.receive_output(timeout=WAIT)
            assert (closing["type"], closing["code"]) == ("websocket.close", 1008)
        await counter.close(other, keys, "x", "redis")
        async with tab("open.5", address="10.1.0.9") as ws:
            assert await ws.receive_nothing()
        await counter.close(other, keys, "y", "redis")


@needs_redis
async def test_a_slow_redis_counts_in_memory_instead_of_failing_the_connect(
    prefix, proxy
):
    with override_settings(
        CHANNEL_LAYERS=fanout(proxy.url, prefix, socket_timeout=0.3),
        LIVE_COUNT_TIMEOUT_SECONDS=0.2,
        LIVE_RESEND_RETRY_SECONDS=0,
    ):
        proxy.stall()
        async with tab("open.6", address="10.1.0.6") as ws:
            assert await ws.receive_nothing()
        proxy.resume()
