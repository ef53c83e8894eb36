"""Assessment periods: ``2026-11`` (month), ``2026-Q3`` (quarter), ``2026-H1`` (half year),
``2026`` (year). Pure functions. The officer scheme's year runs 1 December – 30 November
(assessment.md §4): a scheme's ``year_starts`` ("12-01") shifts the span of its periods."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core.errors import DomainError

_PATTERN = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])))?$")
KIND_ORDER = {"month": 0, "quarter": 1, "half": 2, "year": 3}


def _month_start(year: int, month: int) -> dt.date:
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, 1)


@dataclass(frozen=True)
class Period:
    text: str
    kind: str
    year: int
    first_month: int   # 1-based month the period starts in (calendar periods)
    months_long: int

    def span(self, year_starts: str | None = None) -> tuple[dt.date, dt.date]:
        """First and last day. ``year_starts`` "MM-DD" (a month start such as "12-01") moves a
        year back so that the scheme's year ends in the named year; other kinds do not move."""
        shift = 0
        if year_starts and self.kind == "year":
            month = int(year_starts.split("-")[0])
            shift = (month - 1) - 12 if month != 1 else 0
        start = _month_start(self.year, self.first_month + shift)
        end = _month_start(self.year, self.first_month + shift + self.months_long) \
            - dt.timedelta(days=1)
        return start, end

    def months(self, year_starts: str | None = None) -> list[tuple[dt.date, dt.date]]:
        start, _end = self.span(year_starts)
        out = []
        for i in range(self.months_long):
            first = _month_start(start.year, start.month + i)
            out.append((first, _month_start(first.year, first.month + 1) - dt.timedelta(days=1)))
        return out

    def quarters_ending(self, year_starts: str | None = None) -> list[tuple[dt.date, dt.date]]:
        """Calendar quarters whose last day falls inside the period."""
        start, end = self.span(year_starts)
        out = []
        for _first, last in self.months(year_starts):
            if last.month % 3 == 0 and start <= last <= end:
                q_first = _month_start(last.year, last.month - 2)
                out.append((q_first, last))
        return out

    def previous(self) -> Period:
        start = _month_start(self.year, self.first_month - self.months_long)
        return of_kind(self.kind, start)

    def contains_kind(self, kind: str) -> bool:
        return KIND_ORDER[self.kind] >= KIND_ORDER[kind]

    def __str__(self) -> str:
        return self.text


def parse_period(text: str) -> Period:
    """A period from its text; a clear DomainError (field ``period``) otherwise."""
    value = (text or "").strip().upper()
    match = _PATTERN.match(value)
    if not match:
        raise DomainError(_l("%(text)s is not a period: use YYYY-MM, YYYY-Qn, YYYY-H1/H2 or "
                             "YYYY.", text=text), field="period")
    year = int(match.group(1))
    if not 2000 <= year <= 2999:
        raise DomainError(_l("%(text)s: year out of range.", text=text), field="period")
    month, quarter, half = match.group(2), match.group(3), match.group(4)
    if month is not None:
        m = int(month)
        if not 1 <= m <= 12:
            raise DomainError(_l("%(text)s: there is no month %(m)s.", text=text, m=m),
                              field="period")
        return Period(f"{year}-{m:02d}", "month", year, m, 1)
    if quarter is not None:
        q = int(quarter)
        return Period(f"{year}-Q{q}", "quarter", year, 3 * q - 2, 3)
    if half is not None:
        h = int(half)
        return Period(f"{year}-H{h}", "half", year, 6 * h - 5, 6)
    return Period(str(year), "year", year, 1, 12)


def of_kind(kind: str, day: dt.date, year_starts: str | None = None) -> Period:
    """The period of ``kind`` containing ``day`` (for a shifted year, the year it ends in)."""
    year, month = day.year, day.month
    if year_starts and kind == "year":
        start_month = int(year_starts.split("-")[0])
        if start_month != 1 and month >= start_month:
            year += 1
        return parse_period(str(year))
    if kind == "month":
        return parse_period(f"{year}-{month:02d}")
    if kind == "quarter":
        return parse_period(f"{year}-Q{(month - 1) // 3 + 1}")
    if kind == "half":
        return parse_period(f"{year}-H{1 if month <= 6 else 2}")
    if kind == "year":
        return parse_period(str(year))
    raise DomainError(_l("Unknown period kind %(kind)s.", kind=kind), field="period")


def is_closed(period: Period, today: dt.date, year_starts: str | None = None) -> bool:
    return period.span(year_starts)[1] < today
