"""Statutory deadlines (spec §3.4) against the real 2025/2026 calendar from ``chinesecalendar``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enforcement.deadlines import (
    WORKING_DAY_PERIODS,
    Clock,
    WorkCalendar,
    deadline,
    suspended_days,
)
from enforcement.holiday_data import calendar_rows, load_calendar

ROWS, UNKNOWN = calendar_rows([2024, 2025, 2026])
CAL = load_calendar(ROWS)
D = date.fromisoformat

# Starts in 2025 and the first half of 2026: every deadline below stays inside the library's years.
starts = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30))
any_days = st.integers(min_value=1, max_value=120)
long_days = any_days.filter(lambda n: n not in WORKING_DAY_PERIODS)
short_days = st.sampled_from(sorted(WORKING_DAY_PERIODS))
suspensions = st.integers(min_value=0, max_value=60)


def _working_days_between(first: date, last: date) -> int:
    """Working days in CAL from ``first`` to ``last`` inclusive."""
    return sum(
        CAL.is_working_day(first + timedelta(days=i)) for i in range((last - first).days + 1)
    )


# --- holiday data -----------------------------------------------------------------------------


def test_library_years_and_unknown_years_are_reported():
    rows, unknown = calendar_rows([2003, 2004, 2026, 2027, 2026])
    assert unknown == [2003, 2027]
    assert {day.year for day, _, _ in rows} == {2004, 2026}
    assert UNKNOWN == []


def test_national_day_2025_rows():
    by_day = {day: (is_workday, name) for day, is_workday, name in ROWS}
    for n in range(1, 9):
        assert by_day[date(2025, 10, n)][0] is False
    assert by_day[D("2025-10-01")] == (False, "National Day")
    assert by_day[D("2025-09-28")] == (True, "National Day")  # make-up Sunday
    assert by_day[D("2025-10-11")] == (True, "National Day")  # make-up Saturday
    assert D("2025-09-27") not in by_day  # a plain Saturday is no row
    assert D("2025-10-09") not in by_day  # a plain Thursday is no row


def test_calendar_working_days():
    assert CAL.is_working_day(D("2025-09-28"))  # make-up Sunday
    assert not CAL.is_working_day(D("2025-09-27"))  # plain Saturday
    assert not CAL.is_working_day(D("2025-10-01"))  # holiday on a Wednesday
    assert CAL.is_working_day(D("2025-10-09"))
    assert CAL.next_working_day(D("2025-10-09")) == D("2025-10-09")
    assert CAL.next_working_day(D("2025-10-01")) == D("2025-10-09")
    assert CAL.next_working_day(D("2026-02-14")) == D("2026-02-14")  # make-up Saturday


def test_a_day_cannot_be_both_holiday_and_workday():
    with pytest.raises(ValueError):
        WorkCalendar(holidays=frozenset({D("2025-10-01")}), workdays=frozenset({D("2025-10-01")}))
    with pytest.raises(ValueError):
        load_calendar([(D("2025-10-01"), False, "a"), (D("2025-10-01"), True, "b")])


# --- working-day periods (2, 3, 5, 7 days) ----------------------------------------------------


@pytest.mark.parametrize(
    ("served", "days", "expected"),
    [
        # statement/defence, served the Monday before National Day: Sep 30, Oct 9, Oct 10
        ("2025-09-29", 3, "2025-10-10"),
        # served Friday: the make-up Sunday Sep 28 counts: Sep 28, 29, 30
        ("2025-09-26", 3, "2025-09-30"),
        # served the last day before the holiday: Oct 9, 10 and make-up Saturday Oct 11
        ("2025-09-30", 3, "2025-10-11"),
        # hearing request across the make-up Saturday Feb 8 2025: Feb 6, 7, 8, 10, 11
        ("2025-02-05", 5, "2025-02-11"),
        # across the make-up Sunday Apr 27 and Labour Day (May 1-5 2025)
        ("2025-04-25", 5, "2025-05-06"),
        # an ordinary week: Friday + 2 working days
        ("2025-03-07", 2, "2025-03-11"),
        ("2025-03-03", 7, "2025-03-12"),
    ],
)
def test_working_day_periods(served, days, expected):
    assert deadline(D(served), days, CAL) == D(expected)


def test_working_day_periods_are_configuration():
    # Treated as calendar days, 3 days from Sep 29 end on Oct 2, a holiday: next working day Oct 9.
    assert deadline(D("2025-09-29"), 3, CAL, working_day_periods=frozenset()) == D("2025-10-09")
    # A configured 10-working-day period: Sep 30, Oct 9, 10, 11, 13, 14, 15, 16, 17, 20.
    assert deadline(D("2025-09-29"), 10, CAL, working_day_periods={3, 10}) == D("2025-10-20")


# --- calendar-day periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2024-12-16", 90, "2025-03-17"),  # decide: day 90 is Sunday Mar 16 -> Monday
        ("2025-11-20", 90, "2026-02-24"),  # decide: day 90 is Feb 18, Spring Festival -> Feb 24
        ("2025-03-03", 90, "2025-06-03"),  # decide: day 90 is Jun 1, Dragon Boat -> Jun 3
        ("2025-01-06", 90, "2025-04-07"),  # decide: day 90 is a Monday, unchanged
        ("2025-09-16", 15, "2025-10-09"),  # fine payment: day 15 is Oct 1 -> Oct 9
        ("2026-02-13", 15, "2026-02-28"),  # fine payment: day 15 is a make-up Saturday, stays
        ("2025-06-10", 15, "2025-06-25"),  # fine payment: ordinary Wednesday
        ("2025-09-01", 30, "2025-10-09"),  # detention: day 30 is Oct 1 -> Oct 9
    ],
)
def test_calendar_day_periods(start, days, expected):
    assert deadline(D(start), days, CAL) == D(expected)


def test_detention_with_extension_counts_from_the_first_deadline():
    first = deadline(D("2025-09-01"), 30, CAL)
    assert first == D("2025-10-09")
    # Oct 9 + 30 = Saturday Nov 8 -> Monday Nov 10
    assert deadline(first, 30, CAL) == D("2025-11-10")


def test_invalid_arguments():
    with pytest.raises(ValueError):
        deadline(D("2025-03-03"), 0, CAL)
    with pytest.raises(ValueError):
        deadline(D("2025-03-03"), 90, CAL, suspended_days=-1)


def test_short_working_day_period_can_end_after_a_longer_calendar_one():
    # The law's counting is not monotonic across the two kinds: from a Thursday,
    # 3 working days end on Tuesday, 4 calendar days on Monday.
    assert deadline(D("2025-03-06"), 3, CAL) == D("2025-03-11")
    assert deadline(D("2025-03-06"), 4, CAL) == D("2025-03-10")


# --- suspensions ------------------------------------------------------------------------------


def test_suspension_shifts_the_deadline():
    start = D("2025-03-03")
    assert deadline(start, 90, CAL) == D("2025-06-03")
    # a hearing suspended the case from Apr 7 to Apr 16 inclusive: 10 days
    k = suspended_days([(D("2025-04-07"), D("2025-04-16"))], until=D("2025-06-30"))
    assert k == 10
    # Jun 1 + 10 = Wednesday Jun 11
    assert deadline(start, 90, CAL, suspended_days=k) == D("2025-06-11")
    # a suspended 3-working-day period counts from the shifted start: Oct 9, 10, 11
    assert deadline(D("2025-09-29"), 3, CAL, suspended_days=1) == D("2025-10-11")


@pytest.mark.parametrize(
    ("spans", "until", "expected"),
    [
        ([], "2025-06-30", 0),
        ([("2025-04-07", "2025-04-07")], "2025-06-30", 1),  # one-day hearing
        ([("2025-04-07", "2025-04-16")], "2025-06-30", 10),
        ([("2025-04-01", "2025-04-10"), ("2025-04-05", "2025-04-12")], "2025-06-30", 12),  # overlap
        (
            [("2025-04-01", "2025-04-10"), ("2025-04-11", "2025-04-11")],
            "2025-06-30",
            11,
        ),  # adjacent
        ([("2025-04-01", "2025-04-10"), ("2025-04-03", "2025-04-04")], "2025-06-30", 10),  # nested
        ([("2025-06-25", None)], "2025-06-30", 6),  # open: runs to `until` inclusive
        ([("2025-06-30", None)], "2025-06-30", 1),
        ([("2025-07-01", None)], "2025-06-30", 0),  # not started yet
        ([("2025-06-25", "2025-07-10")], "2025-06-30", 6),  # counted as of `until`
    ],
)
def test_suspended_days(spans, until, expected):
    parsed = [(D(a), None if b is None else D(b)) for a, b in spans]
    assert suspended_days(parsed, D(until)) == expected


def test_suspension_ending_before_it_starts_is_rejected():
    with pytest.raises(ValueError):
        suspended_days([(D("2025-04-10"), D("2025-04-09"))], D("2025-06-30"))


# --- clocks -----------------------------------------------------------------------------------


def test_clock_status_at_the_boundaries():
    clock = Clock("decide", start=D("2025-03-03"), due=D("2025-06-03"))
    assert clock.status(D("2025-05-30")) == "running"  # 4 days left
    assert clock.status(D("2025-05-31")) == "due_soon"  # 3 days left
    assert clock.status(D("2025-06-03")) == "due_soon"  # due today is not overdue
    assert clock.days_left(D("2025-06-03")) == 0
    assert clock.status(D("2025-06-04")) == "overdue"  # the day after is
    assert clock.days_left(D("2025-06-04")) == -1
    assert clock.status(D("2025-05-30"), due_soon_days=4) == "due_soon"
    assert clock.status(D("2025-06-03"), due_soon_days=0) == "due_soon"
    assert clock.status(D("2025-06-02"), due_soon_days=0) == "running"


def test_clock_done_and_late():
    on_time = Clock("pay", start=D("2025-06-10"), due=D("2025-06-25"), done_on=D("2025-06-25"))
    assert on_time.status(D("2025-07-30")) == "done"
    assert not on_time.late(D("2025-07-30"))
    late = Clock("pay", start=D("2025-06-10"), due=D("2025-06-25"), done_on=D("2025-06-26"))
    assert late.status(D("2025-06-26")) == "done"
    assert late.late(D("2025-06-26"))
    assert late.status(D("2025-06-25")) == "due_soon"  # as of a day before it was done
    open_clock = Clock("pay", start=D("2025-06-10"), due=D("2025-06-25"))
    assert not open_clock.late(D("2025-06-25"))
    assert open_clock.late(D("2025-06-26"))


def test_clock_due_before_start_is_rejected():
    with pytest.raises(ValueError):
        Clock("x", start=D("2025-06-10"), due=D("2025-06-09"))


# --- properties -------------------------------------------------------------------------------


@given(starts, any_days, suspensions)
def test_result_is_a_working_day(start, days, k):
    assert CAL.is_working_day(deadline(start, days, CAL, suspended_days=k))


@given(starts, any_days, suspensions)
def test_never_earlier_than_days_plus_suspension_calendar_days(start, days, k):
    assert deadline(start, days, CAL, suspended_days=k) >= start + timedelta(days=days + k)


@given(starts, long_days, suspensions)
def test_long_period_ends_on_the_first_working_day_from_its_last_day(start, days, k):
    raw = start + timedelta(days=days + k)
    result = deadline(start, days, CAL, suspended_days=k)
    assert _working_days_between(raw, result) == 1


@given(starts, short_days, suspensions)
def test_short_period_contains_exactly_days_working_days(start, days, k):
    first = start + timedelta(days=k + 1)
    assert _working_days_between(first, deadline(start, days, CAL, suspended_days=k)) == days


@given(starts, long_days, long_days)
def test_more_calendar_days_never_end_earlier(start, a, b):
    a, b = sorted((a, b))
    assert deadline(start, a, CAL) <= deadline(start, b, CAL)


@given(starts, short_days, short_days)
def test_more_working_days_never_end_earlier(start, a, b):
    a, b = sorted((a, b))
    assert deadline(start, a, CAL) <= deadline(start, b, CAL)


@given(starts, any_days, any_days, st.sampled_from([frozenset(), frozenset(range(1, 121))]))
def test_more_days_never_end_earlier_with_one_counting_kind(start, a, b, periods):
    a, b = sorted((a, b))
    assert deadline(start, a, CAL, working_day_periods=periods) <= deadline(
        start, b, CAL, working_day_periods=periods
    )


@given(starts, any_days, suspensions, suspensions)
def test_suspension_never_gives_an_earlier_deadline(start, days, k1, k2):
    k1, k2 = sorted((k1, k2))
    assert deadline(start, days, CAL, suspended_days=k1) <= deadline(
        start, days, CAL, suspended_days=k2
    )


@given(starts, any_days, suspensions)
def test_suspension_is_a_later_event_day(start, days, k):
    shifted = deadline(start + timedelta(days=k), days, CAL)
    assert deadline(start, days, CAL, suspended_days=k) == shifted


spans = st.tuples(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
).map(lambda t: (t[0], None if t[1] is None else t[0] + timedelta(days=t[1])))


@given(
    st.lists(spans, max_size=6), st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 2, 1))
)
def test_suspended_days_counts_each_day_once(suspension_list, until):
    covered = set()
    for first, last in suspension_list:
        end = until if last is None else min(last, until)
        covered.update(first + timedelta(days=i) for i in range((end - first).days + 1))
    assert suspended_days(suspension_list, until) == len(covered)
