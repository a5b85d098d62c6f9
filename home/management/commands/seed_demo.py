"""`manage.py seed_demo`: the demo city, loaded once (running it again changes nothing)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import seed_accounts
from budgets.demo import seed as seed_budgets
from forums import demo as forums_demo
from home.demo import seed_home
from ideas.demo import seed as seed_ideas
from insights.demo import seed as seed_insights
from polls.demo import seed as seed_polls
from search.index import rebuild as rebuild_search


class Command(BaseCommand):
    help = "Load the demo city: home page and one account per role. Idempotent."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        home, created = seed_home()
        if created:
            self.stdout.write(f"Created the home page: {home.title}")
        for line in forums_demo.seed(home):
            self.stdout.write(f"Created {line}")
        people = seed_accounts()
        if people:
            self.stdout.write(
                self.style.WARNING(
                    "\nDemo accounts (passwords are shown only this once):"
                )
            )
            for user, role, password in people:
                self.stdout.write(f"  {role.value:<20} {user.email:<24} {password}")
            self.stdout.write("")
        else:
            self.stdout.write("The demo city is already loaded.")
        for campaign in seed_ideas(home):
            self.stdout.write(f"Created the campaign: {campaign.title}")
        for poll in seed_polls(home):
            self.stdout.write(f"Created the poll: {poll.title}")
        for budget in seed_budgets(home):
            self.stdout.write(f"Created the budget: {budget.title}")
        # The demo's residents and posts are bulk-created (no save signals):
        # index everything once, here.
        indexed = rebuild_search()
        self.stdout.write(f"Indexed {sum(indexed.values())} things for search")
        for report in seed_insights():
            self.stdout.write(
                f"Analysed {report.campaign.title}: {report.n_clusters} topics "
                f"in {report.n_ideas} ideas ({report.status})"
            )
