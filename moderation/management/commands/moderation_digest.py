"""Send moderators the daily digest (run it once a day from cron or a scheduler)."""

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "E-mail every moderator the queue's service clocks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the work to the task worker instead of sending now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from moderation.tasks import send_moderation_digest

        if options["enqueue"]:
            result = send_moderation_digest.enqueue()
            self.stdout.write(f"enqueued {result.id}")
        else:
            sent = send_moderation_digest.call()
            self.stdout.write(f"sent {sent}")
