from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Clusters, summaries and opinion groups for planners; the CLI for outside data."""

    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        from . import registrations

        registrations.register()
