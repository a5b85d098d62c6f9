from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    """Polls and event votes (Wagtail pages), and the secret, recountable ballot that
    polls and budgets share (polls.ballots)."""

    name = "polls"
    verbose_name = _("Polls")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ideas.api import register_openapi

        from . import registrations, searchable
        from .api import OPENAPI_PATHS, OPENAPI_SCHEMAS

        registrations.register()
        searchable.register()
        register_openapi(OPENAPI_PATHS, OPENAPI_SCHEMAS)
