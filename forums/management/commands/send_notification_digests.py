"""`manage.py send_notification_digests`: the daily e-mail for residents who chose a digest.

Run once a day (cron, or a scheduler that enqueues forums.tasks.send_notification_digests).
"""

from typing import Any

from django.core.management.base import BaseCommand

from forums.tasks import send_digests


class Command(BaseCommand):
    help = (
        "E-mail each daily-digest resident their unread notifications not yet mailed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_digests()
        self.stdout.write(f"Sent {sent} digest(s).")
