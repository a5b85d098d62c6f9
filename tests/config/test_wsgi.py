"""The production layout's HTTP workers load config.wsgi: the same site, served
through WSGI (a page, a write refused without its CSRF token, the liveness check)."""

import io
from wsgiref.util import setup_testing_defaults

import pytest

# A WSGI request closes its connections when it ends, as a server's would.
pytestmark = pytest.mark.django_db(transaction=True)


def call(method: str, path: str) -> tuple[str, bytes]:
    from config.wsgi import application

    environ: dict = {"REQUEST_METHOD": method, "PATH_INFO": path}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    environ["REMOTE_ADDR"] = "127.0.0.1"  # every server sets it
    environ["wsgi.input"] = io.BytesIO(b"")
    started: list[str] = []

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        started.append(status)

    body = b"".join(application(environ, start_response))
    return started[0], body


def test_the_wsgi_application_serves_the_site():
    assert call("GET", "/healthz") == ("200 OK", b"ok")
    status, body = call("GET", "/api/campaigns/")
    assert status == "200 OK"
    assert body.startswith(b"{")
    status, _ = call("POST", "/me/notifications/read/")
    assert status.startswith("403")
