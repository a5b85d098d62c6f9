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
        # Site-wide input hardening that has no app of its own (config/sqlite.py).
        from config.sqlite import allow_out_of_range_integers

        allow_out_of_range_integers()
        # Daphne answers oversized request lines and headers 414/431 with a body.
        from config.daphne_http import install

        install()
        # Page edits and settings publish no live event but change what pages show.
        from config.pagecache import watch_changes_without_events

        watch_changes_without_events()
