"""`manage.py analyse_texts FILE.csv --text-column COL [--id-column COL] [--clusters K]
--out OUT.json`: topic clusters, summaries and duplicates for texts from elsewhere."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights import embeddings
from insights.cli import read_text_rows, write_json
from insights.pipeline import analyse_texts


class Command(BaseCommand):
    help = (
        "Cluster, label, summarise and de-duplicate the texts of a CSV file "
        "(a paper consultation, another platform's export). See docs/insights-cli.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--text-column", required=True)
        parser.add_argument("--id-column")
        parser.add_argument(
            "--clusters", type=int, help="number of clusters (default: automatic)"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        clusters = options["clusters"]
        if clusters is not None and clusters < 1:
            raise CommandError("--clusters must be 1 or more (or leave it out).")
        docs = read_text_rows(
            options["file"], options["text_column"], options["id_column"]
        )
        if not docs:
            raise CommandError(f"{options['file']}: no row has any text to analyse.")
        if clusters is not None and clusters > len(docs):
            raise CommandError(
                f"--clusters {clusters} is more than the {len(docs)} texts in the file."
            )
        analysis = analyse_texts(
            docs,
            n_clusters=clusters,
            seed=options["seed"],
            encoder=embeddings.encoder(),
        )
        write_json(analysis.to_json(), options["out"])
        self.stdout.write(
            f"{len(docs)} texts, {len(analysis.clusters)} clusters, "
            f"{len(analysis.duplicates)} near-duplicate pairs -> {options['out']}\n"
            f"Backend: {analysis.backend}"
        )
