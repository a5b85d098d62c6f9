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
