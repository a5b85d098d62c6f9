from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdeasConfig(AppConfig):
    """Idea campaigns: registers ideas with moderation, live topics, roles and privacy."""

    name = "ideas"
    verbose_name = _("Idea campaigns")

    def ready(self) -> None:
        from . import registrations

        registrations.register()
