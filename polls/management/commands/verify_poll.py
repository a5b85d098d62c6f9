"""`manage.py verify_poll FILE`: check a published ballot log's hash chain and recount it.

FILE is the poll's ballots.json (chain, recount by the questions in its meta) or
ballots.csv (chain and raw choice counts: the CSV carries no questions). Exits 1 if
any check fails. Needs no database: it reads only the file.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polls import ballots, counting


class Command(BaseCommand):
    help = "Verify a published ballot log (JSON or CSV): the hash chain, then recount."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--head", help="the head hash shown on the results page, to compare"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from None
        try:
            log = (
                ballots.log_from_csv(text)
                if path.suffix.lower() == ".csv"
                else json.loads(text)
            )
        except (ValueError, KeyError) as error:
            raise CommandError(f"{path} is not a ballot log: {error}") from None
        check = ballots.verify_log(log, expected_head=options.get("head"))
        spec = (log.get("meta") or {}).get("questions")
        recount = None
        if spec:
            recount = counting.present(
                spec,
                counting.recount(spec, check.counted),
                weights=(log.get("meta") or {}).get("weights") or {},
            )
        report = {
            "ok": check.ok,
            "box": check.box,
            "ballots_in_log": check.ballots_in_log,
            "ballots_counted": len(check.counted),
            "head_hash": check.head_hash,
            "problems": check.problems,
            "result": recount,
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
        else:
            self.stdout.write(
                f"{check.box}: {check.ballots_in_log} ballots in the log, "
                f"{len(check.counted)} counted; head {check.head_hash}"
            )
            for problem in check.problems:
                self.stdout.write(self.style.ERROR(f"  PROBLEM: {problem}"))
            for q in (recount or {}).get("questions", []):
                self.stdout.write(f"  {q['text']}")
                for option in q["options"]:
                    weighted = (
                        f" (weighted {option['weighted_percent']} %)"
                        if "weighted_percent" in option
                        else ""
                    )
                    self.stdout.write(
                        f"    {option['label']}: {option['count']} = "
                        f"{option['percent']} %{weighted}"
                    )
            if check.ok:
                self.stdout.write(self.style.SUCCESS("The chain is intact."))
        if not check.ok:
            raise SystemExit(1)
