"""The holiday calendar as data: seeded from the maintained library, editable afterwards."""
from __future__ import annotations

from sqlalchemy import select

from enforcement.cases.models import Holiday
from enforcement.holiday_data import calendar_rows
from extensions import db


def seed_holidays(years) -> tuple[int, list[int]]:
    """Add the library's holidays and make-up workdays that are not stored yet (existing rows,
    possibly edited by the city office, are kept). Returns (rows added, years unknown)."""
    rows, unknown = calendar_rows(years)
    existing = set(db.session.scalars(select(Holiday.day)))
    added = 0
    for day, is_workday, name in rows:
        if day not in existing:
            db.session.add(Holiday(day=day, is_workday=is_workday, name=name[:40]))
            added += 1
    db.session.flush()
    return added, list(unknown)
