"""ASGI entry point: Daphne serves HTTP and the WebSocket endpoint from here.

Django's HTTP application is built first so that apps are loaded before any
consumer module (which may import models) is imported. It is Django's own ASGI
handler with a bound on the requests run at once (config/concurrency.py).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup(set_prefix=False)

from config.concurrency import BoundedASGIHandler  # noqa: E402

django_asgi_app = BoundedASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
