"""The records behind a unit's metrics, for the score page: which decisions were late, which
tips, which follow-up task, which month had no concentrated action. Same conditions as
``metrics``, restricted to one unit's subtree."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import not_, select

from assessment import metrics
from core.models import Unit
from extensions import db

LIMIT = 50


def window_of(result) -> metrics.Window:
    start, end, as_of = (dt.date.fromisoformat(x) for x in result.inputs["window"])
    return metrics.Window(start, end, as_of)


def _in_subtree(column, unit: Unit):
    return column.in_(select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True)))


def _late_decisions(unit, w):
    from enforcement.cases.models import Case

    clock, due, on_time = metrics.decision_clock_rows(w)
    rows = db.session.execute(
        select(Case.id, Case.number, clock.due_on, clock.done_on).join(clock, clock.case_id ==
                                                                       Case.id)
        .where(due, not_(on_time), _in_subtree(Case.unit_id, unit)).order_by(clock.due_on)
        .limit(LIMIT))
    return [{"label": f"{n} · {due_on} → {done or '—'}", "endpoint": "cases.show_case",
             "args": {"id": i}} for i, n, due_on, done in rows]


def _late_tips(unit, w):
    tip, counted, any_late = metrics.tip_conditions(w)
    rows = db.session.execute(select(tip.id, tip.accept_due_on).where(
        counted, any_late, _in_subtree(tip.unit_id, unit)).order_by(tip.id).limit(LIMIT))
    return [{"label": f"#{i} · {due}", "endpoint": "tips.show_tip", "args": {"id": i}}
            for i, due in rows]


def _late_tasks(unit, w):
    task, counted, late = metrics.task_conditions(w)
    rows = db.session.execute(select(task.meeting_id, task.title, task.due_on, task.reported_on)
                              .where(counted, late, _in_subtree(task.unit_id, unit))
                              .order_by(task.due_on).limit(LIMIT))
    return [{"label": f"{title} · {due} → {rep or '—'}", "endpoint": "meetings.show_meeting",
             "args": {"id": mid}} for mid, title, due, rep in rows]


def _late_reviews(unit, w):
    entry, counted, on_time = metrics.nomination_conditions(w)
    rows = db.session.execute(select(entry.id, entry.subject_key).where(
        counted, not_(on_time), _in_subtree(entry.unit_id, unit)).order_by(entry.id)
        .limit(LIMIT))
    return [{"label": key, "endpoint": "blacklist.show_entry", "args": {"id": i}}
            for i, key in rows]


def _missing_months(unit, w):
    from assessment.periods import of_kind

    months = [(s, e) for s, e in _months(w)]
    people = metrics.concentrated_people([unit], w, months)
    need = metrics.minimum_people(unit)
    out = []
    for i, (s, e) in enumerate(months):
        if e < w.as_of and people.get((unit.id, i), 0) < need:
            month = of_kind("month", s).text
            out.append({"label": f"{month}: {people.get((unit.id, i), 0)} / {need}",
                        "endpoint": "joint.list_actions",
                        "args": {"month": month, "kind": "concentrated_action"}})
    return out


def _months(w):
    day, out = w.start, []
    while day <= w.end:
        nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((day, nxt - dt.timedelta(days=1)))
        day = nxt
    return out


def _missing_quarters(unit, w):
    quarters = [(s.replace(month=s.month - 2), e) for s, e in _months(w) if e.month % 3 == 0]
    held = metrics.meetings_by_quarter([unit], w, quarters) if quarters else set()
    return [{"label": f"{s.year}-Q{(s.month - 1) // 3 + 1}", "endpoint": "meetings.list_meetings",
             "args": {}} for i, (s, e) in enumerate(quarters)
            if e < w.as_of and (unit.id, i) not in held]


RECORDS = {"decisions_on_time": _late_decisions, "tips_on_time": _late_tips,
           "late_tasks": _late_tasks, "blacklist_reviews_on_time": _late_reviews,
           "concentrated_action_breaches": _missing_months,
           "meeting_breaches": _missing_quarters}


def _officer_late_decisions(user_id: int, w):
    from enforcement.cases.models import Case, CaseOfficer

    clock, due, on_time = metrics.decision_clock_rows(w)
    rows = db.session.execute(
        select(Case.id, Case.number, clock.due_on, clock.done_on).join(clock, clock.case_id ==
                                                                       Case.id)
        .join(CaseOfficer, CaseOfficer.case_id == Case.id)
        .where(due, not_(on_time), CaseOfficer.user_id == user_id).distinct()
        .order_by(clock.due_on).limit(LIMIT))
    return [{"label": f"{n} · {due_on} → {done or '—'}", "endpoint": "cases.show_case",
             "args": {"id": i}} for i, n, due_on, done in rows]


def records(result) -> dict[str, list[dict]]:
    """metric → the records behind it (at most ``LIMIT`` each) for a unit's or an officer's
    result."""
    w = window_of(result)
    if result.user_id is not None:
        return {"decisions_late": _officer_late_decisions(result.user_id, w)}
    return {name: build(result.unit, w) for name, build in RECORDS.items()}
