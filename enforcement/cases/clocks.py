"""Statutory clocks of a case, stored as rows so that lists and assessments query them in SQL.

The due dates come from the pure arithmetic in ``enforcement.deadlines`` with the holiday
calendar from the database and the periods from configuration.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core import settings
from core.base import local_today
from enforcement import deadlines
from enforcement.cases.models import Case, CaseClock, CaseStatus, Holiday
from extensions import db


def work_calendar() -> deadlines.WorkCalendar:
    rows = db.session.execute(select(Holiday.day, Holiday.is_workday)).all()
    return deadlines.WorkCalendar(
        holidays=frozenset(d for d, w in rows if not w),
        workdays=frozenset(d for d, w in rows if w))


def compute(case: Case, cal: deadlines.WorkCalendar, cfg: dict, today: dt.date) \
        -> dict[str, tuple[dt.date, dt.date, Optional[dt.date]]]:
    """name → (start, due, done) for every clock that applies to the case now."""
    periods = frozenset(cfg["working_day_periods"])

    def due(start, days, suspended=0):
        return deadlines.deadline(start, days, cal, working_day_periods=periods,
                                  suspended_days=suspended)

    finished = case.status in (CaseStatus.transferred, CaseStatus.withdrawn)
    out = {}
    if case.registered_on:
        suspended = deadlines.suspended_days(
            [(s.start_on, s.end_on) for s in case.suspensions], until=today)
        done = case.decided_on or (today if finished else None)
        out["decision"] = (case.registered_on, due(case.registered_on, cfg["decision_days"],
                                                   suspended), done)
    if case.notified_on:
        done = case.decided_on or (case.notified_on if case.statement_waived else None) or \
            (today if finished else None)
        out["statement"] = (case.notified_on, due(case.notified_on, cfg["statement_days"]), done)
    if case.decided_on and case.fine_amount:
        done = case.paid_on or case.court_enforcement_on or (today if finished else None)
        out["fine_payment"] = (case.decided_on, due(case.decided_on, cfg["fine_payment_days"]),
                               done)
    for d in case.detentions:
        days = cfg["detention_days"] + (cfg["detention_extension_days"] if d.extended_on else 0)
        out[f"detention:{d.id}"] = (d.detained_on, due(d.detained_on, days), d.released_on)
    return out


def recompute(case: Case, cal: Optional[deadlines.WorkCalendar] = None,
              today: Optional[dt.date] = None) -> None:
    """Bring the stored clocks of ``case`` in line with its state (flushes)."""
    cal = cal or work_calendar()
    today = today or local_today()
    wanted = compute(case, cal, settings.get_many("deadline."), today)
    existing = {c.name: c for c in case.clocks}
    for name, (start, due_on, done) in wanted.items():
        clock = existing.pop(name, None)
        if clock is None:
            case.clocks.append(CaseClock(name=name, start_on=start, due_on=due_on, done_on=done))
        else:
            clock.start_on, clock.due_on, clock.done_on = start, due_on, done
    for stale in existing.values():
        case.clocks.remove(stale)
    db.session.flush()


def due_of(case: Case, name: str) -> Optional[dt.date]:
    clock = next((c for c in case.clocks if c.name == name), None)
    return clock.due_on if clock else None


def recompute_open_cases(batch: int = 500) -> int:
    """The daily job: recompute every open case's clocks (the calendar or settings may have
    changed, and open suspensions grow). Returns the number of cases seen."""
    cal = work_calendar()
    count, last_id = 0, 0
    open_states = [s for s in CaseStatus if s not in (CaseStatus.closed, CaseStatus.transferred,
                                                       CaseStatus.withdrawn, CaseStatus.draft)]
    while True:
        cases = db.session.scalars(select(Case).where(Case.id > last_id,
                                                      Case.status.in_(open_states))
                                   .order_by(Case.id).limit(batch)).all()
        if not cases:
            return count
        for case in cases:
            recompute(case, cal)
            count += 1
            last_id = case.id
        db.session.flush()
