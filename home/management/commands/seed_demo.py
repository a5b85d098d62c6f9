"""`manage.py seed_demo`: the demo city, loaded once (running it again changes nothing)."""

import logging
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import accounts_box, remember_passwords, seed_accounts
from budgets.demo import seed as seed_budgets
from forums import demo as forums_demo
from home.demo import seed_home
from ideas.demo import seed as seed_ideas
from insights.demo import seed as seed_insights
from polls.demo import seed as seed_polls
from search.index import rebuild as rebuild_search


class Command(BaseCommand):
    help = "Load the demo city: home page and one account per role. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1
        # Wagtail logs every page it creates at INFO; a first run should be quiet.
        wagtail_log = logging.getLogger("wagtail")
        level = wagtail_log.level
        if not verbose:
            wagtail_log.setLevel(logging.WARNING)
        try:
            with transaction.atomic():
                self._seed(verbose)
        finally:
            wagtail_log.setLevel(level)

    def _seed(self, verbose: bool) -> None:
        def say(line: str) -> None:
            if verbose:
                self.stdout.write(line)

        home, created = seed_home()
        if created:
            say(f"Created the home page: {home.title}")
        for line in forums_demo.seed(home):
            say(f"Created {line}")
        people = seed_accounts()
        for line in forums_demo.seed_moderation():
            say(f"Created {line}")
        for campaign in seed_ideas(home):
            say(f"Created the campaign: {campaign.title}")
        for poll in seed_polls(home):
            say(f"Created the poll: {poll.title}")
        for budget in seed_budgets(home):
            say(f"Created the budget: {budget.title}")
        # The demo's residents and posts are bulk-created (no save signals):
        # index everything once, here.
        indexed = rebuild_search()
        say(f"Indexed {sum(indexed.values())} things for search")
        for report in seed_insights():
            say(
                f"Analysed {report.campaign.title}: {report.n_clusters} topics "
                f"in {report.n_ideas} ideas ({report.status})"
            )
        if not people:
            self.stdout.write("The demo city is loaded.")
            return
        kept = remember_passwords(people)
        if kept is not None:
            self.stdout.write(
                "Loaded the demo city. Its accounts are shown when the server is "
                "ready, and again with `manage.py demo_accounts`."
            )
        else:
            # Not in development: the passwords are not kept, so show them now.
            rows = [
                {"role": str(role.label), "email": user.email, "password": password}
                for user, role, password in people
            ]
            self.stdout.write("Demo accounts (passwords are shown only this once):")
            self.stdout.write(accounts_box(rows))
