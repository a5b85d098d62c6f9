"""Redis goes away (REDIS_URL points at a closed port): every page, log-in and
write still works, the cache serves from memory and says so once, /healthz/ready
says what is degraded, and live events wait in the log and are resent when the
layer is back. Real sockets; nothing is mocked."""

import logging
import socket

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

import live
from live.publish import unsent
from live.topics import group_name
from tests.factories import IdeaFactory, UserFactory, make_campaign, make_forum

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_away():
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with override_settings(
        REDIS_URL=url,
        CACHES={
            "default": {"BACKEND": "config.cache.FallbackRedisCache", "LOCATION": url}
        },
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "live.layers.RedisFanoutLayer",
                "CONFIG": {"hosts": [url]},
            }
        },
        # This test's rows live in its transaction, which a background resend
        # thread could not see: here only the next publish resends.
        LIVE_RESEND_RETRY_SECONDS=0,
    ):
        yield url
    unsent.oldest = None


def test_pages_log_in_and_writes_work_while_redis_is_away(
    redis_away, client, password, caplog
):
    caplog.set_level(logging.WARNING)
    campaign = make_campaign()
    idea = IdeaFactory(campaign=campaign)
    forum = make_forum("Quiet square")
    user = UserFactory()

    assert client.get("/").status_code == 200
    assert client.get(campaign.url).status_code == 200
    assert client.get(forum.url).status_code == 200
    assert client.get(idea.get_absolute_url()).status_code == 200
    assert client.get(reverse("api:api_ideas")).status_code == 200

    logged_in = client.post(
        reverse("account_login"), {"login": user.email, "password": password}
    )
    assert logged_in.status_code == 302
    started = client.post(
        reverse("forums:new_thread", args=[forum.pk]),
        {"title": "Benches by the river", "body": "Could we have three more?"},
    )
    assert started.status_code == 302
    assert client.post(reverse("ideas:support", args=[idea.pk])).status_code == 302
    idea.refresh_from_db()
    assert idea.support_count == 1

    # Served from memory meanwhile, and said once, not once a request.
    assert cache.degraded
    outage_lines = [r for r in caplog.records if "Redis cache unreachable" in r.message]
    assert len(outage_lines) == 1

    assert client.get("/healthz").status_code == 200
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("degraded")
    assert body["checks"]["live"].startswith("degraded")


def test_rate_limits_still_count_in_memory_while_redis_is_away(redis_away, client):
    with override_settings(AGORA_RATE_LIMITS={"api_read": "2/m"}):
        url = reverse("api:api_campaigns")
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_live_events_published_while_away_are_resent_when_the_layer_returns(
    redis_away, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        missed = live.publish_on_commit("open.7", "thing.happened", {"n": 1})
    assert unsent.oldest == missed.id

    # The layer is back (here: the in-memory one) and a tab listens on the topic.
    with override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": "live.layers.LocalFanoutLayer"}}
    ):
        layer = get_channel_layer()
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group_name("open.7"), channel)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            after = live.publish_on_commit("open.7", "thing.happened", {"n": 2})
        received = [async_to_sync(layer.receive)(channel)["id"] for _ in range(2)]
        assert received == [missed.id, after.id]
        assert unsent.oldest is None
