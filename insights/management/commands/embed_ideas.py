"""`manage.py embed_ideas [--campaign ID] [--batch N]`: store the sentence embedding
of every idea that has none (or whose text changed): the backfill after installing
the encoder or upgrading it. Safe to re-run: unchanged ideas cost nothing."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ideas.models import Idea
from insights import actions, embeddings


class Command(BaseCommand):
    help = (
        "Store sentence embeddings for ideas that lack one (see docs/insights-cli.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", type=int, help="only this campaign's ideas")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        if embeddings.encoder() is None:
            raise CommandError(
                f"No sentence encoder: {embeddings.describe_backend()}. "
                "Install the default dependencies (pip install -e .) or unset "
                "AGORA_INSIGHTS_EMBEDDINGS."
            )
        batch = max(1, int(options["batch"]))
        ideas = Idea.objects.order_by("pk")
        if options["campaign"] is not None:
            ideas = ideas.filter(campaign_id=options["campaign"])
        ids = list(ideas.values_list("pk", flat=True))
        written = 0
        for start in range(0, len(ids), batch):
            written += actions.do_store_embeddings(ids[start : start + batch])
        self.stdout.write(
            f"{len(ids)} ideas checked, {written} embedded "
            f"({embeddings.describe_backend()})."
        )
