"""SQLite binds Python integers as 64-bit values and raises OverflowError for
anything larger, so an id such as 99999999999999999999 from a URL or a form would
end a request with a 500. No row can have such an id, so it is bound as text
instead: SQLite compares it numerically with the column and finds nothing, which
is the right answer (a 404, an empty list). PostgreSQL already does this."""

import sqlite3

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _bind_int(value: int) -> int | str:
    return value if INT64_MIN <= value <= INT64_MAX else str(value)


def allow_out_of_range_integers() -> None:
    sqlite3.register_adapter(int, _bind_int)
