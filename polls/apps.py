from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollsConfig(AppConfig):
    """Polls and event votes (Wagtail pages), and the secret, recountable ballot that
    polls and budgets share (polls.ballots)."""

    name = "polls"
    verbose_name = _("Polls")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import registrations

        registrations.register()
