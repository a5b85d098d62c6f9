"""The one rate-limit seam: a named limit answers 429 with Retry-After, as HTML and JSON."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import include, path

from accounts.limits import RateLimited, limit
from accounts.middleware import RateLimitMiddleware

pytestmark = pytest.mark.django_db


def _guarded(request):
    limit(request, "write")
    return HttpResponse("ok")


urlpatterns = [
    path("guarded/", _guarded),
    path("api/guarded/", _guarded),
    path("", include("config.urls")),
]


@override_settings(AGORA_RATE_LIMITS={"write": "2/m"}, ROOT_URLCONF=__name__)
def test_third_write_in_a_minute_is_refused_with_429_and_retry_after(client):
    assert client.post("/guarded/").status_code == 200
    assert client.post("/guarded/").status_code == 200
    refused = client.post("/guarded/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert b"try again" in refused.content


@override_settings(AGORA_RATE_LIMITS={"write": "1/m"}, ROOT_URLCONF=__name__)
def test_api_over_limit_answers_json(client):
    client.post("/api/guarded/")
    refused = client.post("/api/guarded/")
    assert refused.status_code == 429
    assert refused.json()["retry_after"] >= 1
    assert refused["Retry-After"]


@override_settings(AGORA_RATE_LIMITS={"write": "1/m"})
def test_limit_raises_for_the_same_resident_only(resident):
    factory = RequestFactory()
    request = factory.post("/x/")
    request.user = resident
    limit(request, "write")
    with pytest.raises(RateLimited):
        limit(request, "write")
    other = factory.post("/x/", REMOTE_ADDR="10.0.0.9")
    from django.contrib.auth.models import AnonymousUser

    other.user = AnonymousUser()
    limit(other, "write")  # an anonymous visitor counts by address, apart from him
    assert RateLimitMiddleware  # wired in settings.MIDDLEWARE
