"""Working-day deadlines across weekends and holidays (ideas.workdays)."""

from datetime import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from ideas.workdays import add_working_days


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


def due_day(start: datetime, n: int) -> str:
    return timezone.localtime(add_working_days(start, n)).strftime("%a %Y-%m-%d")


@override_settings(AGORA_HOLIDAYS=[])
def test_weekends_do_not_count():
    # 2026-03-02 is a Monday.
    assert due_day(local(2026, 3, 2, 10), 1) == "Tue 2026-03-03"
    assert due_day(local(2026, 3, 6, 10), 1) == "Mon 2026-03-09"  # Friday
    assert due_day(local(2026, 3, 7, 10), 1) == "Mon 2026-03-09"  # Saturday
    assert due_day(local(2026, 3, 8, 23), 1) == "Mon 2026-03-09"  # Sunday night
    assert due_day(local(2026, 3, 2, 10), 8) == "Thu 2026-03-12"  # Moscow's 8 days
    assert due_day(local(2026, 3, 6, 10), 5) == "Fri 2026-03-13"


@override_settings(AGORA_HOLIDAYS=["2026-03-09", "2026-03-10"])
def test_holidays_do_not_count():
    assert due_day(local(2026, 3, 6, 10), 1) == "Wed 2026-03-11"
    assert due_day(local(2026, 3, 2, 10), 8) == "Mon 2026-03-16"


@override_settings(AGORA_HOLIDAYS=["2026-12-25", "2027-01-01"])
def test_across_the_new_year():
    # Thu 24 Dec 2026: Fri 25 holiday, weekend, Mon 28 ... Fri 1 Jan holiday.
    assert due_day(local(2026, 12, 24, 9), 5) == "Mon 2027-01-04"


def test_the_deadline_is_the_end_of_the_day():
    due = timezone.localtime(add_working_days(local(2026, 3, 2, 10), 1))
    assert (due.hour, due.minute) == (23, 59)


@override_settings(AGORA_WORKING_WEEKDAYS=[0, 1, 2, 3, 4, 5])
def test_a_six_day_week_is_configuration():
    assert due_day(local(2026, 3, 6, 10), 1) == "Sat 2026-03-07"


pytestmark = pytest.mark.filterwarnings("ignore")
