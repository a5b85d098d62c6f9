"""Start the analyses that are due: nightly for open campaigns, and when a campaign
closes. Run it from cron, e.g. every night at 02:00:

    0 2 * * * cd /srv/agora && .venv/bin/python manage.py run_scheduled_insights
"""

from typing import Any

from django.core.management.base import BaseCommand

from insights import actions
from insights.schedule import due_campaigns


class Command(BaseCommand):
    help = "Start insight analyses for open campaigns (daily) and closed ones (once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due; start nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = 0
        for campaign, trigger in due_campaigns():
            if options["dry_run"]:
                self.stdout.write(f"due ({trigger}): {campaign.pk} {campaign.title}")
                continue
            try:
                report = actions.do_start_analysis(None, campaign, trigger=trigger)
            except actions.InsightError as exc:
                self.stdout.write(f"skipped {campaign.pk}: {exc}")
                continue
            started += 1
            self.stdout.write(
                f"started report {report.pk} ({trigger}) for {campaign.title}"
            )
        self.stdout.write(f"{started} analyses started")
