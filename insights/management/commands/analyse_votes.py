"""`manage.py analyse_votes --comments comments.csv (--votes votes.csv |
--participants-votes participants-votes.csv) [--previous EARLIER.json] --out OUT.json`:
Pol.is-style opinion groups."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.cli import read_previous_groups, write_json
from insights.pipeline import analyse_votes_json


class Command(BaseCommand):
    help = (
        "Opinion groups, representative, consensus and divisive statements from a "
        "Pol.is export. See docs/insights-cli.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--comments", type=Path, required=True)
        votes = parser.add_mutually_exclusive_group(required=True)
        votes.add_argument("--votes", type=Path)
        votes.add_argument("--participants-votes", type=Path)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--previous",
            type=Path,
            help="An earlier result of this command on the same conversation: "
            "its groups are kept, with their ids, where the votes allow.",
        )
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        for key in ("comments", "votes", "participants_votes"):
            path = options.get(key)
            if path is not None and not path.is_file():
                raise CommandError(f"{path}: no such file.")
        previous = None
        if options.get("previous") is not None:
            previous = read_previous_groups(options["previous"])
        try:
            result = analyse_votes_json(
                options["comments"],
                votes_csv=options["votes"],
                participants_votes_csv=options["participants_votes"],
                seed=options["seed"],
                previous=previous,
            )
        except (KeyError, ValueError) as error:
            raise CommandError(
                f"The files are not in the Pol.is export format ({error}). "
                "See docs/insights-cli.md for the columns expected."
            ) from None
        except UnicodeDecodeError:
            raise CommandError("The files are not UTF-8 text.") from None
        write_json(result, options["out"])
        self.stdout.write(
            f"{len(result['participants'])} participants in {len(result['groups'])} "
            f"opinion groups, {len(result['consensus'])} consensus and "
            f"{len(result['divisive'])} divisive statements"
            + (" (started from the previous groups)" if result["warm_start"] else "")
            + f" -> {options['out']}"
        )
