"""Playwright driving the system's Chromium (Debian's package), never a downloaded browser.

In CI a missing browser fails the run; on a developer's machine without
Chromium the browser tests are skipped with a message saying how to install it.
"""

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("AGORA_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps an event loop running in
    the main thread for the rest of the session, where async tests (WebSocket
    consumers) and async_to_sync could no longer run."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# Module scope: Playwright's sync API keeps an event loop running in the main
# thread for as long as it is open, and later (non-browser) tests that call
# async_to_sync in that thread must not find it there.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed: `apt-get install chromium` (or set AGORA_CHROMIUM)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM would
    # otherwise refuse to run in the test body next to it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(browser):
    """Open a fresh browser context (its own cookies) and page; closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="en-GB")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


class _SharedConnections:
    """Every thread gets the test's own connection for the aliases given (an in-memory
    SQLite database exists only inside that one connection), the others their own."""

    def __init__(self, local: object, shared: dict[str, object]) -> None:
        self._local = local
        self._shared = shared

    def __getattr__(self, alias: str) -> object:
        if alias in self._shared:
            return self._shared[alias]
        return getattr(self._local, alias)

    def __setattr__(self, alias: str, value: object) -> None:
        if alias.startswith("_") or alias in self._shared:
            object.__setattr__(self, alias, value)
        else:
            setattr(self._local, alias, value)

    def __delattr__(self, alias: str) -> None:
        if alias not in self._shared:
            delattr(self._local, alias)


class DaphneThread:
    """Daphne serving config.asgi in a thread of the test process.

    pytest-django's live_server speaks only WSGI. In-process, the server shares the
    test's database (even in-memory SQLite) and the in-memory channel layer, so an
    event the test publishes reaches the browser just as in production. Twisted's
    reactor runs once per process, hence one server for the whole session.
    """

    def __init__(self) -> None:
        import threading

        from daphne.server import Server  # installs the asyncio reactor first

        from config.asgi import application

        self.server = Server(
            application=application,
            endpoints=["tcp:port=0:interface=127.0.0.1"],
            signal_handlers=False,
            verbosity=0,
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        # The TCP listen completes before the reactor runs; wait only for that.
        import time

        deadline = time.monotonic() + 30
        while not self.server.listening_addresses and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.server.listening_addresses:
            raise RuntimeError("Daphne did not start listening")
        host, port = self.server.listening_addresses[0]
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.server.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def _daphne_thread() -> Iterator[DaphneThread]:
    server = DaphneThread()
    yield server
    server.stop()


@pytest.fixture
def daphne_live_server(_daphne_thread, transactional_db) -> Iterator[DaphneThread]:
    """A live server that also serves /ws/live/ (use instead of live_server when the
    test needs live updates). Mark the test django_db(transaction=True)."""
    from django.db import connections

    conn = connections["default"]
    shared = conn.vendor == "sqlite" and conn.is_in_memory_db()
    if shared:
        original = connections._connections
        connections._connections = _SharedConnections(original, {"default": conn})
        conn.inc_thread_sharing()
    try:
        yield _daphne_thread
    finally:
        if shared:
            connections._connections = original
            conn.dec_thread_sharing()
