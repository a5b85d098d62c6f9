"""`manage.py close_due_polls` (cron, every few minutes): publish the ballot log and
final result of every poll whose closing time has passed. Pages do it on first
view too; this makes it happen without one."""

from django.core.management.base import BaseCommand

from polls.actions import finalise_due_polls


class Command(BaseCommand):
    help = "Publish results and ballot logs of polls whose closing time has passed."

    def handle(self, *args, **options):
        self.stdout.write(f"{finalise_due_polls()} polls published.")
