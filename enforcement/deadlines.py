"""Statutory deadlines (domain spec §3.4): working-day calendar, period counting, suspensions, clocks.

Counting rules (Administrative Penalty Law 2021 art. 85 and the procedure rules):

* The day of the event (``start``) is not counted; the period begins the next day.
* Periods whose length is in ``working_day_periods`` (by default 2, 3, 5 and 7 days) count working
  days: weekends and public holidays are skipped, official make-up working days (调休) count.
* Other periods count calendar days; when the last day is not a working day (weekend or public
  holiday, but not a make-up working day) the period ends on the next working day.
* Suspensions (hearing, 中止, expert examination ...) are not counted: a period with ``k``
  suspended calendar days is computed as if the event had happened ``k`` days later.
* A suspension ``(first, last)`` covers both ``first`` and ``last`` (inclusive): ``last`` is the
  last suspended day, the period runs again from ``last + 1``. A one-day hearing suspends 1 day.

Everything here is pure: no database, no Flask. Callers pass the calendar and configured periods.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

WORKING_DAY_PERIODS: frozenset[int] = frozenset({2, 3, 5, 7})

ClockStatus = Literal["done", "overdue", "due_soon", "running"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Public holidays (days off) and make-up working days (调休) on top of the Mon-Fri week."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        """Reject a day that is both a holiday and a make-up working day."""
        clash = self.holidays & self.workdays
        if clash:
            raise ValueError(f"days both holiday and make-up workday: {sorted(clash)}")

    def is_working_day(self, d: date) -> bool:
        """True for a make-up working day, or a Monday-Friday that is not a public holiday."""
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def next_working_day(self, d: date) -> date:
        """The first working day on or after ``d`` (``d`` itself when it is a working day)."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d


def deadline(
    start: date,
    days: int,
    cal: WorkCalendar,
    *,
    working_day_periods: Collection[int] = WORKING_DAY_PERIODS,
    suspended_days: int = 0,
) -> date:
    """The last day of a ``days``-long period after the event on ``start``, shifted by suspensions."""
    if days < 1:
        raise ValueError(f"a period lasts at least one day, got {days}")
    if suspended_days < 0:
        raise ValueError(f"suspended_days must not be negative, got {suspended_days}")
    day = start + timedelta(days=suspended_days)
    if days in working_day_periods:
        remaining = days
        while remaining:
            day += _ONE_DAY
            if cal.is_working_day(day):
                remaining -= 1
        return day
    return cal.next_working_day(day + timedelta(days=days))


def suspended_days(suspensions: Iterable[tuple[date, date | None]], until: date) -> int:
    """Calendar days suspended up to and including ``until``; overlaps count once, open ones run to ``until``."""
    spans: list[tuple[date, date]] = []
    for first, last in suspensions:
        if last is not None and last < first:
            raise ValueError(f"suspension ends ({last}) before it starts ({first})")
        end = until if last is None else min(last, until)
        if first <= end:
            spans.append((first, end))
    total = 0
    covered_to: date | None = None  # last day already counted
    for first, end in sorted(spans):
        if covered_to is not None and first <= covered_to:
            first = covered_to + _ONE_DAY
        if first <= end:
            total += (end - first).days + 1
            covered_to = end
    return total


@dataclass
class Clock:
    """A running statutory clock: what it is, when it started, when it is due, when it was met."""

    name: str
    start: date
    due: date
    done_on: date | None = None

    def __post_init__(self) -> None:
        """Reject a clock due before it starts."""
        if self.due < self.start:
            raise ValueError(
                f"clock {self.name!r} is due ({self.due}) before it starts ({self.start})"
            )

    def is_done(self, today: date) -> bool:
        """True when the clock was met on or before ``today``."""
        return self.done_on is not None and self.done_on <= today

    def days_left(self, today: date) -> int:
        """Calendar days from ``today`` to the due day: 0 when due today, negative when overdue."""
        return (self.due - today).days

    def status(self, today: date, due_soon_days: int = 3) -> ClockStatus:
        """``done``, ``overdue`` (after the due day), ``due_soon`` (within ``due_soon_days``) or ``running``."""
        if self.is_done(today):
            return "done"
        left = self.days_left(today)
        if left < 0:
            return "overdue"
        if left <= due_soon_days:
            return "due_soon"
        return "running"

    def late(self, today: date) -> bool:
        """True when the clock was met after its due day, or is still open and past it (assessment)."""
        if self.done_on is not None and self.done_on <= today:
            return self.done_on > self.due
        return today > self.due
