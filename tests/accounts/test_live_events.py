"""Notifications go live: the inbox line and the unread count reach the person's tabs
only once the notification is committed."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from accounts.actions import do_mark_notifications_read, do_notify
from accounts.models import Notification
from live.models import Event
from live.topics import group_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def listen(topic: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(topic), channel)
    return channel


def next_events(channel: str, count: int) -> list[dict]:
    # One event loop for all of them: channels_redis buffers per loop.
    async def receive() -> list[dict]:
        layer = get_channel_layer()
        return [
            json.loads((await layer.receive(channel))["text"]) for _ in range(count)
        ]

    return async_to_sync(receive)()


def next_events_waiting(channel: str) -> int:
    layer = get_channel_layer()
    queue = getattr(layer, "channels", {}).get(channel)
    return queue.qsize() if queue is not None else 0


def next_event(channel: str) -> dict:
    return next_events(channel, 1)[0]


def test_a_notification_reaches_the_recipients_topic_with_line_and_count(
    django_capture_on_commit_callbacks,
):
    ana, ben = UserFactory(), UserFactory()
    channel = listen(f"user.{ben.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        do_notify(ben, "reply", "Ana replied to your post", "/threads/1/", actor=ana)
        notification = do_notify(
            ben, "reply", "Ana replied again", "/threads/1/", actor=ana
        )

    first, second = next_events(channel, 2)
    assert first["id"] < second["id"]
    assert second["topic"] == f"user.{ben.pk}"
    assert second["type"] == "notification.created"
    data = second["data"]
    assert data["counts"] == {"unread": 2}
    assert data["mode"] == "prepend" and data["list"] == f"user.{ben.pk}:notifications"
    assert f'id="notification-{notification.pk}"' in data["html"]
    assert "Ana replied again" in data["html"]
    assert data["announce"] == "Ana replied again"


def test_a_rolled_back_notification_emits_nothing(django_capture_on_commit_callbacks):
    ben = UserFactory()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        do_notify(ben, "reply", "Never mind")
        raise RuntimeError("the action that notified failed")
    assert callbacks == []
    assert not Event.objects.exists()
    assert not Notification.objects.exists()


def test_the_event_is_sent_only_when_the_outer_action_commits(
    django_capture_on_commit_callbacks,
):
    ben = UserFactory()
    channel = listen(f"user.{ben.pk}")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        do_notify(ben, "reply", "Inside a bigger action")
        # Logged inside the transaction, waiting for the commit to be sent.
        assert Event.objects.filter(type="notification.created").count() == 1
        assert next_events_waiting(channel) == 0
    # Two things waited for the commit: the event and the move of the inbox's
    # kept unread count (accounts.inbox).
    assert len(callbacks) == 2
    assert next_event(channel)["data"]["announce"] == "Inside a bigger action"


def test_reading_notifications_updates_the_count_in_other_tabs(
    django_capture_on_commit_callbacks,
):
    ben = UserFactory()
    do_notify(ben, "reply", "One")
    do_notify(ben, "reply", "Two")
    channel = listen(f"user.{ben.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        do_mark_notifications_read(ben)
    event = next_event(channel)
    assert event["type"] == "notification.read"
    assert event["data"] == {"counts": {"unread": 0}}
    # Nothing left to mark: nothing to tell.
    assert do_mark_notifications_read(ben) == 0
    assert Event.objects.filter(type="notification.read").count() == 1
