"""WebSocket routes: the live-updates app's one endpoint, /ws/live/."""

from django.urls import URLPattern, path

from live.consumers import LiveConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/live/", LiveConsumer.as_asgi(), name="live"),
]
