"""What Agora holds about a person, gathered from every app without accounts importing them.

Apps higher up register, in their AppConfig.ready():

    privacy.register_export("ideas", lambda user: [...])   # JSON-ready data
    privacy.register_erasure("ideas", lambda user: None)   # before the account goes

Content a person wrote stays after deletion: its author foreign key is
SET_NULL, and templates show it as by "former resident".
"""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}

FORMER_RESIDENT = _("former resident")


def register_export(section: str, exporter: Exporter) -> None:
    """Add a section to "download my data"; the exporter returns JSON-ready data."""
    _exporters[section] = exporter


def register_erasure(name: str, eraser: Eraser) -> None:
    """Run `eraser(user)` inside the deletion transaction, before the account is removed."""
    _erasers[name] = eraser


def exporters() -> dict[str, Exporter]:
    return dict(_exporters)


def erasers() -> dict[str, Eraser]:
    return dict(_erasers)
