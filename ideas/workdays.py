"""Working-day deadlines: weekends and the city's holidays do not count.

The calendar is configuration: `AGORA_WORKING_WEEKDAYS` (Monday = 0; default
Monday to Friday) and `AGORA_HOLIDAYS` (ISO dates, e.g. from the environment as
"2026-01-01,2026-05-01"). A report filed on any day is due at the end of the
N-th working day after the day it was filed, in the city's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

DEFAULT_WORKING_WEEKDAYS = (0, 1, 2, 3, 4)


def holidays() -> frozenset[date]:
    return frozenset(_parse(getattr(settings, "AGORA_HOLIDAYS", ())))


def working_weekdays() -> frozenset[int]:
    return frozenset(
        getattr(settings, "AGORA_WORKING_WEEKDAYS", DEFAULT_WORKING_WEEKDAYS)
    )


def _parse(values: Iterable[str | date]) -> Iterable[date]:
    for value in values:
        yield value if isinstance(value, date) else date.fromisoformat(str(value))


def is_working_day(day: date, *, off: frozenset[date] | None = None) -> bool:
    off = holidays() if off is None else off
    return day.weekday() in working_weekdays() and day not in off


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (23:59:59.999999 local) of the `days`-th working day after `start`'s day."""
    off = holidays()
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    day = local.date()
    counted = 0
    # A year without a working day would be a configuration error; stop anyway.
    for _step in range(days * 7 + 400):
        if counted >= days:
            break
        day += timedelta(days=1)
        if is_working_day(day, off=off):
            counted += 1
    end = datetime.combine(day, time.max)
    return timezone.make_aware(end) if settings.USE_TZ else end
