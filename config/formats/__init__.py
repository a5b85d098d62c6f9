"""Agora's date formats per language (settings.FORMAT_MODULE_PATH).

Only what differs from Django's own locale formats is here: one short date that
reads naturally in each language ("30 Nov 2026", "30 nov 2026", "30 ноября 2026"),
used by every template through `|date:"DATE_FORMAT"` / `"DATETIME_FORMAT"`.
Numbers keep Django's locale formats (decimal comma in Spanish and Russian);
coordinates are printed unlocalised (`floatformat:"5u"`), since "50,879, 4,701"
cannot be read as a pair.
"""
