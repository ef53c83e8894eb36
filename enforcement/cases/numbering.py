"""Gap-free case numbers per unit and year: ``{unit code}-{year}-{6-digit sequence}``.

The counter row is created if missing (insert-or-ignore, safe when two first cases of a year race)
and incremented with a single ``UPDATE … RETURNING`` inside the caller's transaction, so the number
is issued exactly when the case is written, and a rolled-back case gives its number back. A bulk
import takes a block of numbers the same way (one increment by the batch's count, under the same
row lock).
"""
from __future__ import annotations

from sqlalchemy import update

from core.database import insert_ignore
from enforcement.cases.models import CaseCounter
from extensions import db


def format_number(unit_code: str, year: int, seq: int) -> str:
    return f"{unit_code}-{year}-{seq:06d}"


def issue_number(unit_id: int, unit_code: str, year: int) -> tuple[int, str]:
    """Reserve the next sequence for (unit, year); returns (seq, case number)."""
    return issue_numbers(unit_id, unit_code, year, 1)[0]


def issue_numbers(unit_id: int, unit_code: str, year: int, count: int) -> list[tuple[int, str]]:
    """Reserve the next ``count`` sequences for (unit, year) in one step (a bulk import's
    batch); returns [(seq, case number), …] in order."""
    insert_ignore(CaseCounter, unit_id=unit_id, year=year, last_seq=0)
    last = db.session.execute(
        update(CaseCounter)
        .where(CaseCounter.unit_id == unit_id, CaseCounter.year == year)
        .values(last_seq=CaseCounter.last_seq + count)
        .returning(CaseCounter.last_seq)
    ).scalar_one()
    return [(seq, format_number(unit_code, year, seq)) for seq in range(last - count + 1, last + 1)]
