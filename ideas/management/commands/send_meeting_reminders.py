"""E-mail a reminder to everyone registered for a meeting in the next day, once.

Run it from cron, e.g. hourly."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ideas.actions import do_send_meeting_reminders


class Command(BaseCommand):
    help = "Send reminder e-mails for meetings starting within --hours (default 24)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24)

    def handle(self, *args: Any, **options: Any) -> None:
        sent = do_send_meeting_reminders(hours=options["hours"])
        self.stdout.write(f"{sent} reminder(s) sent")
