"""WebSocket routes. The live-updates app adds its one endpoint, /ws/live/, here."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
