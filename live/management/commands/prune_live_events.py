"""`manage.py prune_live_events [--days N]`: delete live events past the retention window."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from live import conf
from live.tasks import prune_events


class Command(BaseCommand):
    help = "Delete live events older than LIVE_EVENT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=float,
            default=None,
            help="keep this many days (default: LIVE_EVENT_RETENTION_DAYS, "
            f"{conf.DEFAULTS['LIVE_EVENT_RETENTION_DAYS']} unless set)",
        )

    def handle(self, *args: Any, days: float | None, **options: Any) -> None:
        deleted = prune_events(days)
        if options["verbosity"] > 0:
            self.stdout.write(f"Deleted {deleted} live event(s).")
