from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The site's root page, search, and the demo city."""

    name = "home"
    verbose_name = _("Home")

    def ready(self) -> None:
        from accounts.brand import register_brand_provider

        from .brand import cached_brand

        register_brand_provider(cached_brand)
