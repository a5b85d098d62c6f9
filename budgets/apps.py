from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    """Participatory budgets: registers live topics, moderation and tracking kinds."""

    name = "budgets"
    verbose_name = _("Participatory budgets")

    def ready(self) -> None:
        from . import registrations

        registrations.register()
