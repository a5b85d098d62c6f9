"""A browser tab's live connection: subscribing, receiving, refusals, limits and replay."""

from contextlib import asynccontextmanager
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client

import live
from config.asgi import application
from config.routing import websocket_urlpatterns
from live.models import Event
from live.relay import is_embedded, layer_message
from live.topics import group_name, register_topic
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

register_topic("open", lambda user, key: True)
register_topic("closed", lambda user, key: False)

router = URLRouter(websocket_urlpatterns)


@asynccontextmanager
async def connected(user: Any = None):
    communicator = WebsocketCommunicator(router, "/ws/live/")
    communicator.scope["user"] = user or AnonymousUser()
    ok, _ = await communicator.connect()
    assert ok
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def subscribe(ws: WebsocketCommunicator, *topics: str, **extra: Any) -> dict:
    await ws.send_json_to({"action": "subscribe", "topics": list(topics), **extra})
    return await ws.receive_json_from()


@database_sync_to_async
def publish(topic: str, type: str = "thing.happened", **data: Any) -> int:
    with transaction.atomic():
        return live.publish_on_commit(topic, type, data).id


@database_sync_to_async
def make_user():
    return UserFactory()


async def test_subscriber_receives_events_in_id_order():
    async with connected() as ws:
        assert await subscribe(ws, "open.1") == {
            "type": "subscribed",
            "topics": ["open.1"],
        }
        ids = [await publish("open.1", n=n) for n in range(3)]
        received = [await ws.receive_json_from() for _ in ids]
        assert received == [
            {"id": i, "topic": "open.1", "type": "thing.happened", "data": {"n": n}}
            for n, i in enumerate(ids)
        ]
        assert await ws.receive_nothing()


async def test_only_subscribed_topics_are_sent_and_unsubscribe_stops_them():
    async with connected() as ws:
        await subscribe(ws, "open.1", "open.2")
        await publish("open.3", n=0)
        wanted = await publish("open.2", n=1)
        assert (await ws.receive_json_from())["id"] == wanted

        await ws.send_json_to({"action": "unsubscribe", "topics": ["open.2"]})
        await publish("open.2", n=2)
        last = await publish("open.1", n=3)
        assert (await ws.receive_json_from())["id"] == last
        assert await ws.receive_nothing()


async def test_refused_topic_gets_an_error_and_never_data():
    async with connected() as ws:
        await ws.send_json_to(
            {"action": "subscribe", "topics": ["closed.1", "open.1", "nobody.1"]}
        )
        error = await ws.receive_json_from()
        assert error["type"] == "error" and error["code"] == "forbidden"
        assert error["topics"] == ["closed.1", "nobody.1"]
        assert await ws.receive_json_from() == {
            "type": "subscribed",
            "topics": ["open.1"],
        }
        await publish("closed.1")
        await publish("nobody.1")
        assert await ws.receive_nothing()


async def test_only_the_person_reads_their_user_topic():
    ana, ben = await make_user(), await make_user()
    topic = f"user.{ben.pk}"
    async with connected() as anonymous:
        assert (await subscribe(anonymous, topic))["code"] == "forbidden"
    async with connected(ana) as other:
        assert (await subscribe(other, topic))["code"] == "forbidden"
    async with connected(ben) as owner:
        assert (await subscribe(owner, topic))["type"] == "subscribed"


async def test_the_full_application_knows_the_logged_in_person():
    ben = await make_user()

    @database_sync_to_async
    def session_cookie() -> str:
        client = Client()
        client.force_login(ben)
        return client.cookies["sessionid"].value

    cookie = await session_cookie()
    ws = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[
            (b"origin", b"http://testserver"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )
    assert (await ws.connect())[0]
    assert (await subscribe(ws, f"user.{ben.pk}"))["type"] == "subscribed"
    await ws.disconnect()


async def test_bad_requests_are_answered_and_the_connection_stays():
    async with connected() as ws:
        await ws.send_to(text_data="{not json")
        assert (await ws.receive_json_from())["code"] == "bad_request"
        await ws.send_json_to({"action": "dance", "topics": ["open.1"]})
        assert (await ws.receive_json_from())["code"] == "bad_request"
        await ws.send_json_to({"action": "subscribe", "topics": "open.1"})
        assert (await ws.receive_json_from())["code"] == "bad_request"
        reply = await subscribe(ws, "open.1", last_event_id="yesterday")
        assert reply["code"] == "bad_request"
        assert (await subscribe(ws, "open.1"))["type"] == "subscribed"


async def closed_with(ws: WebsocketCommunicator) -> int:
    output = await ws.receive_output()
    assert output["type"] == "websocket.close"
    return output["code"]


async def test_a_message_over_the_size_limit_is_refused_and_closed(settings):
    settings.LIVE_MAX_MESSAGE_BYTES = 200
    async with connected() as ws:
        error = await subscribe(ws, *[f"open.{n}" for n in range(40)])
        assert error["type"] == "error" and error["code"] == "message_too_large"
        assert await closed_with(ws) == 1009


async def test_too_many_topics_is_refused_and_closed(settings):
    settings.LIVE_MAX_TOPICS_PER_CONNECTION = 3
    async with connected() as ws:
        await subscribe(ws, "open.1", "open.2")
        error = await subscribe(ws, "open.3", "open.4")
        assert error["code"] == "too_many_topics"
        assert await closed_with(ws) == 1008


async def test_too_many_messages_a_second_is_refused_and_closed(settings):
    settings.LIVE_MAX_MESSAGES_PER_SECOND = 3
    async with connected() as ws:
        for n in range(3):
            assert (await subscribe(ws, f"open.{n}"))["type"] == "subscribed"
        error = await subscribe(ws, "open.9")
        assert error["code"] == "rate_limited"
        assert await closed_with(ws) == 1008


async def test_reconnect_replays_every_missed_event_once_then_goes_live():
    async with connected() as ws:
        await subscribe(ws, "open.1", "open.2")
        first = await publish("open.1", n=1)
        assert (await ws.receive_json_from())["id"] == first
    # The tab is offline while three events happen, one on a topic it does not follow.
    missed = [await publish("open.2", n=2), await publish("open.1", n=3)]
    await publish("open.3", n=4)
    missed.append(await publish("open.1", n=5))

    async with connected() as ws:
        assert (await subscribe(ws, "open.1", "open.2", last_event_id=first))[
            "type"
        ] == "subscribed"
        replayed = [await ws.receive_json_from() for _ in missed]
        assert [e["id"] for e in replayed] == missed
        assert [e["data"]["n"] for e in replayed] == [2, 3, 5]
        newer = await publish("open.2", n=6)
        assert (await ws.receive_json_from())["id"] == newer
        assert await ws.receive_nothing()


async def test_an_event_both_replayed_and_sent_live_arrives_once():
    async with connected() as ws:
        await subscribe(ws, "open.1")
    event_id = await publish("open.1", n=1)
    async with connected() as ws:
        await subscribe(ws, "open.1", last_event_id=event_id - 1)
        assert (await ws.receive_json_from())["id"] == event_id
        # The same event reaches the group again, as it does when it committed
        # while the replay was being read (or the embedded relay forwards it too).
        message = (
            await database_sync_to_async(Event.objects.get)(pk=event_id)
        ).as_message()
        await get_channel_layer().group_send(
            group_name("open.1"), layer_message(message)
        )
        later = await publish("open.1", n=2)
        assert (await ws.receive_json_from())["id"] == later
        assert await ws.receive_nothing()


async def test_replay_from_before_the_pruned_window_asks_for_a_reload(settings):
    first = await publish("open.1", n=1)
    await publish("open.1", n=2)
    await publish("open.1", n=3)
    await database_sync_to_async(Event.objects.filter(pk__lte=first + 1).delete)()
    async with connected() as ws:
        await subscribe(ws, "open.1", last_event_id=first)
        error = await ws.receive_json_from()
        assert error["code"] == "replay_unavailable"
        assert await ws.receive_nothing()

    settings.LIVE_REPLAY_MAX_EVENTS = 1
    async with connected() as ws:
        await subscribe(ws, "open.1", last_event_id=first)
        assert (await ws.receive_json_from())["code"] == "replay_unavailable"


@pytest.mark.skipif(
    not is_embedded(get_channel_layer()), reason="the relay runs only in embedded mode"
)
async def test_embedded_relay_forwards_events_written_by_another_process(settings):
    settings.LIVE_RELAY_POLL_SECONDS = 0.05
    async with connected() as ws:
        await subscribe(ws, "open.1")
        # What the task worker does: the row is written, but the send happens in
        # the worker's own in-memory layer, which this server never sees.
        row = await database_sync_to_async(Event.objects.create)(
            topic="open.1", type="thing.happened", data={"from": "worker"}
        )
        received = await ws.receive_json_from(timeout=5)
        assert received == row.as_message()
        # An event this process publishes itself is not forwarded a second time.
        own = await publish("open.1", n=1)
        assert (await ws.receive_json_from())["id"] == own
        assert await ws.receive_nothing(timeout=0.3)
