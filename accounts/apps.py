from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Residents' accounts, roles, notifications inbox and privacy (export, delete)."""

    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from live.topics import register_topic

        from . import signals  # noqa: F401
        from .topics import can_read_user_topic

        register_topic("user", can_read_user_topic)

        from .privacy import register_export
        from .verification import export_verifications

        register_export("verification", export_verifications)
