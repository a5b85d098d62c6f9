"""`manage.py rebuild_search`: index every registered kind again from scratch."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from search.index import rebuild


class Command(BaseCommand):
    help = "Rebuild the site search index (all kinds, or those named)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kinds", nargs="*", help="only these kinds")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            counts = rebuild(options["kinds"] or None)
        if options["verbosity"] > 1:
            for kind, n in counts.items():
                self.stdout.write(f"{kind}: {n}")
