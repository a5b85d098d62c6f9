"""`manage.py demo_accounts`: show the demo city's accounts and passwords again.

`make run` calls it with `--wait-for` so the box appears once the server answers,
below the start-up lines instead of among them. Development only: the passwords
are kept (mode 600) in var/ by `seed_demo` when DEBUG is on.
"""

import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import accounts_box, passwords_file, read_passwords


class Command(BaseCommand):
    help = "Show the demo accounts and their passwords (development only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--wait-for",
            metavar="URL",
            default="",
            help="wait (up to --timeout seconds) until this address answers first",
        )
        parser.add_argument("--url", default="", help="the site's address to show")
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo passwords are kept only in development (DEBUG).")
        if options["wait_for"] and not _wait(options["wait_for"], options["timeout"]):
            self.stderr.write(
                f"The server did not answer at {options['wait_for']} in "
                f"{options['timeout']:.0f} s."
            )
            return
        rows = read_passwords()
        if not rows:
            raise CommandError(
                f"No demo passwords in {passwords_file()}: run `manage.py seed_demo` "
                "on a fresh database (passwords are made only when the accounts are)."
            )
        self.stdout.write(accounts_box(rows, options["url"]))


def _wait(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status < 500:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        # Polling a server that is starting; nothing to synchronise with but time.
        time.sleep(0.3)
    return False
