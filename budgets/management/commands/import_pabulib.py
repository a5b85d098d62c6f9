"""manage.py import_pabulib FILE: a Pabulib (.pb) file becomes a participatory budget,
to replay a past election or to seed a demo."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Page, Site

from budgets.actions import BudgetError, do_import_pabulib, do_publish_results
from budgets.phases import BudgetPhase


class Command(BaseCommand):
    help = "Create a participatory budget from a Pabulib (.pb) file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="path to the .pb file")
        parser.add_argument("--title", default=None, help="the budget's title")
        parser.add_argument(
            "--parent",
            type=int,
            default=None,
            help="id of the parent page (default: the site's root page)",
        )
        parser.add_argument(
            "--count",
            action="store_true",
            help="count the votes and publish the results",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        if options["parent"]:
            parent = Page.objects.filter(pk=options["parent"]).first()
            if parent is None:
                raise CommandError(f"There is no page {options['parent']}.")
        else:
            site = Site.objects.filter(is_default_site=True).first()
            parent = site.root_page if site else Page.get_first_root_node()
        try:
            budget = do_import_pabulib(
                parent.specific, text, title=options["title"], phase=BudgetPhase.VOTING
            )
        except BudgetError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created budget {budget.pk} “{budget.title}”: {budget.projects.count()} projects, "
            f"{budget.total} {budget.currency}, rule {budget.rule}."
        )
        if options["count"]:
            rows = do_publish_results(None, budget)
            for row in rows:
                if row.official:
                    self.stdout.write(
                        f"Results published ({row.rule}): {len(row.funded)} projects funded, "
                        f"{row.spent} spent."
                    )
