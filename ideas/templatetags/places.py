"""Where an idea is, written for people: coordinates in the reader's number format.

"50,87900, 4,70100" is ambiguous wherever the decimal sign is a comma, so each
coordinate gets its hemisphere, and where the decimal sign is a comma the two are
parted by a semicolon, as those languages write a pair of decimals
(50.879° N, 4.701° E in English; 50,879° N; 4,701° E in Spanish).
"""

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def coordinates(idea: object, digits: int = 5) -> str:
    lat = getattr(idea, "lat", None)
    lon = getattr(idea, "lon", None)
    if lat is None or lon is None:
        return ""
    lat_text = formats.number_format(abs(float(lat)), int(digits))
    lon_text = formats.number_format(abs(float(lon)), int(digits))
    # Translators: compass letters after a latitude and a longitude, e.g. 50.9° N, 4.7° E.
    north, south, east, west = _("N"), _("S"), _("E"), _("W")
    between = "; " if formats.get_format("DECIMAL_SEPARATOR") == "," else ", "
    return (
        f"{lat_text}° {north if float(lat) >= 0 else south}{between}"
        f"{lon_text}° {east if float(lon) >= 0 else west}"
    )
