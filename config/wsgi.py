"""WSGI entry point: the HTTP workers of a production layout (docs/deploy.md).

Every page, form and API call is a synchronous Django view, so a WSGI server
(gunicorn, granian) serves them without ASGI's hop into a worker thread per
request. WebSockets (`/ws/`) are not HTTP: the proxy sends them to the ASGI
application in config/asgi.py (Daphne). Live events written here reach those
clients through Redis, or through the event log that each Daphne polls.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
