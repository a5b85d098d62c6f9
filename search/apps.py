from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """The site's one search index; apps register their searchable kinds in it.

    A ground-floor app: it imports no other app of ours. Higher apps call
    `search.registry.register_kind` in their `ready()` (see docs/search.md).
    """

    name = "search"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"
