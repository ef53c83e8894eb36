"""Holiday calendar data for the deadlines (spec §3.4), seeded from the ``chinesecalendar`` library.

``calendar_rows`` gives the rows to store (day, is_workday, name); the city office edits them for years
the library does not know yet, and ``load_calendar`` turns stored rows back into a ``WorkCalendar``.
Pinned package: ``chinesecalendar==1.11.0`` (import name ``chinese_calendar``), which knows 2004-2026.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

import chinese_calendar

from enforcement.deadlines import WorkCalendar

CalendarRow = tuple[date, bool, str]


class CalendarRows(NamedTuple):
    """Rows for the known years, and the requested years the library has no data for."""

    rows: list[CalendarRow]
    unknown_years: list[int]


def _year_rows(year: int) -> list[CalendarRow]:
    """Every public holiday (is_workday False) and make-up working day (True) of one year."""
    rows: list[CalendarRow] = []
    day, end = date(year, 1, 1), date(year, 12, 31)
    while day <= end:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is not None:  # plain weekends and weekdays have no name
            rows.append((day, not on_holiday, str(name)))
        day += timedelta(days=1)
    return rows


def calendar_rows(years: Iterable[int]) -> CalendarRows:
    """(day, is_workday, name) rows for ``years`` from the library, skipping years it does not know."""
    rows: list[CalendarRow] = []
    unknown: list[int] = []
    for year in sorted(set(years)):
        try:
            rows.extend(_year_rows(year))
        except NotImplementedError:  # the library's way of saying "no data for this year"
            unknown.append(year)
    return CalendarRows(rows, unknown)


def load_calendar(rows: Iterable[CalendarRow]) -> WorkCalendar:
    """A ``WorkCalendar`` from stored (day, is_workday, name) rows."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, is_workday, _name in rows:
        (workdays if is_workday else holidays).add(day)
    return WorkCalendar(holidays=frozenset(holidays), workdays=frozenset(workdays))
