"""Named limits on real writes and the API: a resident who flags, supports or
likes too fast gets a 429 page that says what was refused and keeps the text; an
API client gets JSON with Retry-After; the limits are set in one place."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from django.urls import reverse

from accounts.limits import DEFAULT_RATES
from forums.models import Post
from tests.factories import IdeaFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@override_settings(AGORA_RATE_LIMITS={"flag": "2/m"})
def test_a_resident_flagging_too_fast_gets_429_with_the_reason_kept(resident_client):
    posts = PostFactory.create_batch(3)
    ct = ContentType.objects.get_for_model(Post)
    answers = [
        resident_client.post(
            reverse("moderation:flag", args=[ct.pk, post.pk]),
            {"reason": "spam", "note": "The same advert again and again"},
        )
        for post in posts
    ]
    assert all(a.status_code < 400 for a in answers[:2])
    refused = answers[2]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    page = refused.content.decode()
    assert "Flagging content was refused" in page
    assert "The same advert again and again" in page  # what was typed is kept
    assert 'action="/moderation/flag/' in page  # and can be sent again


@override_settings(AGORA_RATE_LIMITS={"support": "3/m"})
def test_toggling_support_is_limited(resident_client):
    idea = IdeaFactory()
    url = reverse("ideas:support", args=[idea.pk])
    statuses = [resident_client.post(url).status_code for _ in range(4)]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3] == 429


@override_settings(AGORA_RATE_LIMITS={"api_read": "3/m"})
def test_api_reads_are_limited_per_address_with_json(client):
    url = reverse("api:api_campaigns")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/json")
    body = refused.json()
    assert body["limit"] == "api_read" and body["retry_after"] >= 1
    assert int(refused["Retry-After"]) == body["retry_after"]
    # Another address has its own allowance.
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200


@override_settings(AGORA_RATE_LIMITS={"any_write": "2/m"})
def test_every_write_counts_against_any_write_even_without_a_named_limit(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("accounts:notifications_read")
    assert [client.post(url).status_code for _ in range(2)] == [302, 302]
    assert client.post(url).status_code == 429


@override_settings(ACCOUNT_RATE_LIMITS={"signup": "1/m/ip"})
def test_allauth_sign_up_limit_answers_our_429(client):
    data = {"email": "new@example.org", "password1": "x", "password2": "x"}
    client.post(reverse("account_signup"), data)
    refused = client.post(reverse("account_signup"), data)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Signing up was refused" in refused.content.decode()


def test_every_named_limit_has_a_default_and_setting_one_off_disables_it(settings):
    from django.test import RequestFactory

    from accounts.limits import limit

    assert {"flag", "support", "vote", "like", "follow", "post", "idea"} <= set(
        DEFAULT_RATES
    )
    assert {"verification", "api_read", "any_write", "post_interval"} <= set(
        DEFAULT_RATES
    )
    settings.AGORA_RATE_LIMITS = {"flag": ""}
    request = RequestFactory().post("/x/")
    request.user = UserFactory()
    for _ in range(100):
        limit(request, "flag")  # never refused
