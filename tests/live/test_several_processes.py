"""Several Daphne processes share the Redis channel layer: an event published through
one process reaches a tab connected to another. Real processes, real sockets."""

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = str(Path(sys.executable).with_name("daphne"))

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs REDIS_URL (CI sets it for its second run)",
    ),
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shared_env(tmp_path: Path) -> dict[str, str]:
    """Settings for processes that share this test's database and a fresh layer prefix."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["CHANNEL_LAYER_PREFIX"] = f"agora-test-{uuid.uuid4().hex[:8]}"
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
        )
    else:
        # The test's SQLite database lives in memory; the servers get a file.
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'agora.sqlite3'}"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    return env


def run_django(env: dict[str, str], code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def two_servers(shared_env: dict[str, str]) -> Iterator[list[str]]:
    procs, urls = [], []
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the servers)
    try:
        for _ in range(2):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [
                        DAPHNE,
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "config.asgi:application",
                    ],
                    cwd=ROOT,
                    env=shared_env,
                    stdout=log,
                    stderr=log,
                )
            )
            urls.append(f"127.0.0.1:{port}")
        for url in urls:
            wait_until_serving(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def daphne_process(
    env: dict[str, str],
) -> Iterator[tuple[str, tempfile._TemporaryFileWrapper]]:
    """One real Daphne process on a free port: its address (once it serves) and
    its log, kept for the test."""
    port = free_port()
    log = tempfile.NamedTemporaryFile()  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        address = f"127.0.0.1:{port}"
        wait_until_serving(address)
        yield address, log
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def wait_until_serving(address: str) -> None:
    # Waiting for a child process to start listening; not test synchronisation.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{address}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne on {address} did not start")


def mark_all_read_through(address: str, session: str) -> int:
    """What Ben's browser does on server A: open the inbox, press "Mark all as read"."""
    cookie = f"sessionid={session}"
    request = urllib.request.Request(
        f"http://{address}/me/notifications/", headers={"Cookie": cookie}
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 (http only)
        html = response.read().decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf_cookie and token
    request = urllib.request.Request(
        f"http://{address}/me/notifications/read/",
        data=f"csrfmiddlewaretoken={token.group(1)}".encode(),
        headers={
            "Cookie": f"{cookie}; csrftoken={csrf_cookie.group(1)}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 (http only)
        return response.status


async def test_an_event_published_through_one_server_reaches_a_tab_on_the_other(
    shared_env, two_servers
):
    from websockets.asyncio.client import connect

    ben = run_django(
        shared_env,
        "import json\n"
        "from django.test import Client\n"
        "from accounts.models import Notification\n"
        "from tests.factories import UserFactory\n"
        "ben = UserFactory(display_name='Ben')\n"
        "Notification.objects.create(recipient=ben, kind='reply', text='Hello')\n"
        "client = Client(); client.force_login(ben)\n"
        "print(json.dumps({'id': ben.pk, 'session': client.cookies['sessionid'].value}))",
    )
    topic = f"user.{ben['id']}"
    server_a, server_b = two_servers
    tabs = []
    for address in (server_a, server_b):
        tab = await connect(
            f"ws://{address}/ws/live/",
            origin=f"http://{address}",
            additional_headers={"Cookie": f"sessionid={ben['session']}"},
        )
        await tab.send(json.dumps({"action": "subscribe", "topics": [topic]}))
        reply = json.loads(await asyncio.wait_for(tab.recv(), 10))
        assert reply == {"type": "subscribed", "topics": [topic]}
        tabs.append(tab)

    status = await asyncio.to_thread(mark_all_read_through, server_a, ben["session"])
    assert status == 200  # redirected back to the inbox

    for tab in tabs:
        event = json.loads(await asyncio.wait_for(tab.recv(), 10))
        assert event["topic"] == topic
        assert event["type"] == "notification.read"
        assert event["data"] == {"counts": {"unread": 0}}
        await tab.close()
