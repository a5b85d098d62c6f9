from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    """Real-time updates: the event log, publishing after commit, topics and permissions."""

    name = "live"
    verbose_name = _("Live updates")

    def ready(self) -> None:
        # Daphne must send the close codes the consumer chooses (1008, 1009).
        from . import daphne_close, daphne_direct

        daphne_close.install()
        # And write each event, framed once per process, straight to the sockets.
        daphne_direct.install()
