"""The search index: one row per searchable thing, whatever app it belongs to.

The full-text part is not a Django field: on SQLite an FTS5 table
(`search_entry_fts`) and on PostgreSQL a `tsvector` column (`vector`) are kept
in step with this table by database triggers made in the migration, so every
write to `SearchEntry` (including bulk ones) updates the text index too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    """One searchable thing, as its owning app described it (`search.index.Document`).

    Only what anyone may read is indexed: the owner returns no document for
    hidden, pending, deleted or withdrawn content, and the row is removed.
    `place_id` is the Wagtail page the thing lives on (a campaign, a forum);
    results on pages that are not live or that carry a view restriction are
    left out when searching.
    """

    kind = models.CharField(_("kind"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    place_id = models.IntegerField(_("place"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=40, blank=True)
    state_label = models.CharField(_("state label"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("address"), max_length=500)
    author_name = models.CharField(_("author"), max_length=150, blank=True)
    # The PostgreSQL text-search configuration the row was indexed with.
    language = models.CharField(_("language"), max_length=40, default="simple")
    created_at = models.DateTimeField(_("created"), null=True, blank=True)
    indexed_at = models.DateTimeField(_("indexed"), auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="search_entry_once"
            )
        ]
        indexes = [
            models.Index(fields=["place_id", "kind"], name="search_entry_place_idx"),
            models.Index(fields=["kind", "state"], name="search_entry_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"
