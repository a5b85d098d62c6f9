"""Old events are pruned after the retention window; the newest one always stays."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import timezone

import live
from live.models import Event
from live.tasks import prune_old_events

pytestmark = pytest.mark.django_db


def age(event: Event, days: float) -> None:
    Event.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_events_past_the_window_are_deleted_and_the_newest_kept(settings):
    settings.LIVE_EVENT_RETENTION_DAYS = 7
    old = live.publish_on_commit("idea.1", "idea.supported", {})
    recent = live.publish_on_commit("idea.1", "idea.supported", {})
    newest_but_old = live.publish_on_commit("idea.2", "idea.supported", {})
    age(old, 8)
    age(recent, 6)
    age(newest_but_old, 30)

    out = StringIO()
    call_command("prune_live_events", stdout=out)
    assert "Deleted 1 live event(s)." in out.getvalue()
    assert list(Event.objects.values_list("pk", flat=True)) == [
        recent.pk,
        newest_but_old.pk,
    ]


def test_the_window_can_be_given_and_the_task_prunes_too():
    event = live.publish_on_commit("idea.1", "idea.supported", {})
    live.publish_on_commit("idea.1", "idea.supported", {})
    age(event, 2)
    call_command("prune_live_events", "--days", "3", stdout=StringIO())
    assert Event.objects.filter(pk=event.pk).exists()
    result = prune_old_events.enqueue(days=1)
    assert result.return_value == 1
    assert not Event.objects.filter(pk=event.pk).exists()


def test_a_live_page_states_its_topics_and_the_cursor_it_was_rendered_at():
    event = live.publish_on_commit("thread.7", "post.created", {})
    html = Template('{% load live %}<body{% live_attrs "thread.7" topic %}>').render(
        Context({"topic": "idea.42"})
    )
    assert html == (
        f'<body data-live-topics="thread.7 idea.42" data-live-since="{event.pk}">'
    )
