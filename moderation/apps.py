from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    """Visibility of resident-written content, screening at submission, the queue."""

    name = "moderation"
    verbose_name = _("Moderation")
