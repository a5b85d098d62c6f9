"""Refresh the query planner's statistics, as a bulk load leaves them stale.

PostgreSQL's autovacuum analyses a table only after enough changes and some delay,
and SQLite keeps no statistics until ANALYZE runs; until then the planner may pick a
sequential scan for a list that an index serves. seed_demo, the importers and the
bench fixtures call this after they load data in bulk.
"""

from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Refresh the database's query-planner statistics (ANALYZE) after bulk loads."

    def handle(self, *args: object, **options: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if options.get("verbosity", 1) > 1:
            self.stdout.write("Planner statistics refreshed.")
