"""Publishing: stored in the log inside the transaction, sent only after commit."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

import live
from live.models import Event
from live.topics import can_read, group_name, register_topic, split_topic

pytestmark = pytest.mark.django_db(transaction=True)


def listen(topic: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(topic), channel)
    return channel


def receive(channel: str) -> dict:
    return async_to_sync(get_channel_layer().receive)(channel)


def test_event_is_logged_and_sent_after_commit():
    channel = listen("idea.1")
    with transaction.atomic():
        event = live.publish_on_commit("idea.1", "idea.supported", {"supports": 3})
        assert Event.objects.filter(pk=event.pk).exists()
    message = receive(channel)
    assert json.loads(message["text"]) == {
        "id": event.id,
        "topic": "idea.1",
        "type": "idea.supported",
        "data": {"supports": 3},
    }


def test_rolled_back_action_emits_nothing(django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        live.publish_on_commit("idea.2", "idea.supported", {"supports": 1})
        raise RuntimeError("the action failed")
    assert not Event.objects.exists()


def test_ids_are_monotonic():
    ids = [live.publish_on_commit("thread.1", "post.created", {}).id for _ in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_topic_registry_answers_only_for_registered_prefixes():
    register_topic("testtopic", lambda user, key: key == "open")
    assert split_topic("testtopic.open") == ("testtopic", "open")
    assert can_read(None, "testtopic.open")
    assert not can_read(None, "testtopic.closed")
    assert not can_read(None, "unregistered.1")
    assert not can_read(None, "bad topic!")
    assert not can_read(None, "testtopic." + "x" * 200)


def test_a_page_cursor_is_read_once_per_version_and_moves_with_each_event(
    django_assert_num_queries,
):
    """`{% live_cursor %}` (live.templatetags.live.current_cursor) queries the
    event log once per version of the pages: pages rendered meanwhile share it,
    and the next page after an event commits carries that event's id."""
    from live.templatetags.live import current_cursor

    first = live.publish_on_commit("idea.3", "idea.supported", {"supports": 1})
    assert current_cursor() == first.id
    with django_assert_num_queries(0):
        assert current_cursor() == first.id
    second = live.publish_on_commit("idea.3", "idea.supported", {"supports": 2})
    assert current_cursor() == second.id
