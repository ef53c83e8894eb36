"""Period parsing and spans (pure)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.periods import of_kind, parse_period
from core.errors import DomainError

D = dt.date


@pytest.mark.parametrize("text,kind,start,end", [
    ("2026-11", "month", D(2026, 11, 1), D(2026, 11, 30)),
    ("2026-02", "month", D(2026, 2, 1), D(2026, 2, 28)),
    ("2026-Q3", "quarter", D(2026, 7, 1), D(2026, 9, 30)),
    ("2026-q4", "quarter", D(2026, 10, 1), D(2026, 12, 31)),
    ("2026-H1", "half", D(2026, 1, 1), D(2026, 6, 30)),
    ("2026-H2", "half", D(2026, 7, 1), D(2026, 12, 31)),
    ("2026", "year", D(2026, 1, 1), D(2026, 12, 31)),
])
def test_periods(text, kind, start, end):
    period = parse_period(text)
    assert period.kind == kind and period.span() == (start, end)
    assert parse_period(period.text) == period


def test_officer_year_runs_december_to_november():
    assert parse_period("2026").span("12-01") == (D(2025, 12, 1), D(2026, 11, 30))
    assert of_kind("year", D(2026, 12, 5), "12-01").text == "2027"
    assert of_kind("year", D(2026, 11, 30), "12-01").text == "2026"
    # only the year moves: a month is a month
    assert parse_period("2026-11").span("12-01") == (D(2026, 11, 1), D(2026, 11, 30))


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "2026-H3", "26-11", "",
                                  "2026-11-01", "abcd", "1999"])
def test_bad_periods_are_clear_errors(text):
    with pytest.raises(DomainError) as info:
        parse_period(text)
    assert info.value.field == "period"


def test_month_13_names_the_problem():
    with pytest.raises(DomainError, match="no month 13"):
        parse_period("2026-13")


def test_quarters_ending_and_previous():
    assert [q[1] for q in parse_period("2026-H1").quarters_ending()] == [D(2026, 3, 31),
                                                                          D(2026, 6, 30)]
    assert parse_period("2026-10").quarters_ending() == []
    assert parse_period("2026-01").previous().text == "2025-12"
    assert parse_period("2026-Q1").previous().text == "2025-Q4"
    assert parse_period("2026-H1").previous().text == "2025-H2"
    assert parse_period("2026").previous().text == "2025"


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2999, 11, 30)),
       st.sampled_from(["month", "quarter", "half", "year"]))
def test_a_day_lies_in_its_period(day, kind):
    start, end = of_kind(kind, day).span()
    assert start <= day <= end
    assert len(of_kind(kind, day).months()) == {"month": 1, "quarter": 3, "half": 6,
                                                "year": 12}[kind]
