"""Escalate reports past their answer deadline to their department's lead.

Run it from cron (every 15 minutes is plenty): each overdue report is escalated
once, and counts as overdue on the campaign's public answer record."""

from typing import Any

from django.core.management.base import BaseCommand

from ideas.actions import do_escalate_overdue_reports


class Command(BaseCommand):
    help = "Escalate unanswered reports past their deadline to the department lead."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while True:
            n = do_escalate_overdue_reports()
            total += n
            if n < 1000:
                break
        self.stdout.write(f"{total} report(s) escalated")
