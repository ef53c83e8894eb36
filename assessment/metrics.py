"""The metrics of the assessment, computed in SQL: one GROUP BY query per metric family over the
period for every assessed unit at once (rolled up over each unit's subtree through the
materialised ``path``), and per officer. Each metric can also list the records behind it, so that
a score page links to the late cases, the overdue tasks, the months without an action.

A metric missing from the result (no data source) is left to the scheme: indicators without a
metric score as entered by hand."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)

from assessment.engine import Ratio
from core import settings
from core.base import LOCAL_TZ
from core.models import Unit, UnitKind
from extensions import db

LOCAL = ZoneInfo(LOCAL_TZ)

settings.define("assessment.blacklist_review_days", 10,
                "days within which a blacklist nomination must be reviewed")


@dataclass(frozen=True)
class Window:
    """The days a metric looks at: ``start``–``end`` of the period, evaluated ``as_of``."""

    start: dt.date
    end: dt.date
    as_of: dt.date

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), LOCAL).astimezone(dt.timezone.utc)

    @property
    def end_utc(self) -> dt.datetime:  # exclusive
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(),
                                   LOCAL).astimezone(dt.timezone.utc)

    @property
    def as_of_utc(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(), LOCAL).astimezone(dt.timezone.utc)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def local_date(column):
    """The Asia/Shanghai calendar date of a UTC timestamp column (UTC+8, no summer time)."""
    if _dialect() == "postgresql":
        return cast(func.timezone(LOCAL_TZ, column), Date)
    return func.date(column, "+8 hours")


def days_between(later, earlier):
    """Days (fractional) from ``earlier`` to ``later`` for two timestamp columns."""
    if _dialect() == "postgresql":
        return func.extract("epoch", later - earlier) / 86400
    return func.julianday(later) - func.julianday(earlier)


# Conditions shared by the metric and its records ---------------------------------------------

def decision_clock_rows(w: Window):
    from enforcement.cases.models import CaseClock

    due = and_(CaseClock.name == "decision", CaseClock.due_on >= w.start,
               CaseClock.due_on <= w.end,
               or_(CaseClock.done_on.is_not(None), CaseClock.due_on < w.as_of))
    on_time = and_(CaseClock.done_on.is_not(None), CaseClock.done_on <= CaseClock.due_on)
    return CaseClock, due, on_time


def tip_conditions(w: Window):
    from enforcement.tips.models import OPEN_STATUSES, Tip

    def late(at, due_on, open_only=False):
        pending = and_(at.is_(None), due_on < w.as_of)
        if open_only:
            pending = and_(pending, Tip.status.in_(OPEN_STATUSES))
        return and_(due_on.is_not(None), or_(and_(at.is_not(None), local_date(at) > due_on),
                                              pending))

    counted = and_(unindexed(Tip.merged_into_id).is_(None), Tip.unit_id.is_not(None),
                   Tip.accept_due_on >= w.start, Tip.accept_due_on <= w.end)
    any_late = or_(late(Tip.accepted_at, Tip.accept_due_on, open_only=True),
                   late(Tip.concluded_at, Tip.conclude_due_on),
                   late(Tip.replied_at, Tip.reply_due_on))
    return Tip, counted, any_late


def task_conditions(w: Window):
    from enforcement.joint.models import DONE_TASK_STATUSES, FollowUpTask

    counted = and_(FollowUpTask.due_on >= w.start, FollowUpTask.due_on <= w.end)
    late = or_(and_(FollowUpTask.reported_on.is_not(None),
                    FollowUpTask.reported_on > FollowUpTask.due_on),
               and_(FollowUpTask.reported_on.is_(None),
                    FollowUpTask.status.not_in(DONE_TASK_STATUSES),
                    FollowUpTask.due_on < w.as_of))
    return FollowUpTask, counted, late


def nomination_conditions(w: Window):
    from blacklist.models import BlacklistEntry as E

    days = settings.get("assessment.blacklist_review_days")
    reviewed_at = func.coalesce(E.leader_approved_at, E.ended_at)
    counted = and_(E.nominated_at >= w.start_utc, E.nominated_at < w.end_utc,
                   or_(reviewed_at.is_not(None),
                       E.nominated_at < w.as_of_utc - dt.timedelta(days=days)))
    on_time = and_(reviewed_at.is_not(None), days_between(reviewed_at, E.nominated_at) <= days)
    return E, counted, on_time


# Unit metrics ------------------------------------------------------------------------------
# Records are grouped by their own unit in SQL (one GROUP BY per family, using the indexes), then
# rolled up to every assessed unit at or above that unit through the materialised path.

def _ancestors(units: list[Unit]) -> dict[int, list[int]]:
    """record unit id → the assessed units whose subtree holds it (from the paths)."""
    assessed = {u.id for u in units}
    out: dict[int, list[int]] = {}
    for unit_id, path in db.session.execute(select(Unit.id, Unit.path)):
        chain = [int(x) for x in path.strip("/").split("/") if x]
        hits = [a for a in chain if a in assessed]
        if hits:
            out[unit_id] = hits
    return out


def unindexed(column):
    """``column + 0``: the same value, which SQLite's planner cannot look up in the column's
    index. Without statistics it takes an index on an equality (``IS NULL`` included), or on
    the GROUP BY column when no index serves the period, and then reads most of the table row
    by row in that index's order (the blacklist by unit_id: 6× slower than a scan and a
    temporary b-tree)."""
    return column + literal_column("0")


def _roll(rows, ancestors: dict[int, list[int]], rate: bool) -> dict[int, Ratio]:
    sums: dict[int, list[int]] = {}
    for row in rows:
        for a in ancestors.get(row[0], ()):
            acc = sums.setdefault(a, [0, 0])
            acc[0] += int(row[1] or 0)
            if rate:
                acc[1] += int(row[2] or 0)
    return {a: Ratio(Decimal(n), Decimal(d) if rate else None) for a, (n, d) in sums.items()}


def _family(columns, where, unit, units, ancestors, rate: bool, join=None) -> dict[int, Ratio]:
    """One family's records grouped by ``unit`` (the record's unit) and rolled up; counts are
    ``count(*)`` (every row counted has its primary key: no NULL test per row)."""
    stmt = select(unit, *columns)
    if join is not None:
        stmt = stmt.select_from(join[0]).join(*join[1:])
    rows = db.session.execute(stmt.where(*where).group_by(unit))
    return _roll(rows, ancestors or _ancestors(units), rate=rate)


def cases_registered(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    from enforcement.cases.models import Case

    return _family([func.count()], [Case.registered_on >= w.start, Case.registered_on <= w.end],
                   Case.unit_id, units, ancestors, rate=False)


def decisions_on_time(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    from enforcement.cases.models import Case

    clock, due, on_time = decision_clock_rows(w)
    return _family([func.sum(case((on_time, 1), else_=0)), func.count()], [due], Case.unit_id,
                   units, ancestors, rate=True, join=(clock, Case, Case.id == clock.case_id))


def tips_on_time(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    tip, counted, any_late = tip_conditions(w)
    return _family([func.sum(case((any_late, 0), else_=1)), func.count()], [counted],
                   tip.unit_id, units, ancestors, rate=True)


def late_tasks(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    task, counted, late = task_conditions(w)
    return _family([func.count()], [counted, late], task.unit_id, units, ancestors, rate=False)


def blacklist_reviews_on_time(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    entry, counted, on_time = nomination_conditions(w)
    # no index serves the nomination time: a scan, grouped in a temporary b-tree
    return _family([func.sum(case((on_time, 1), else_=0)), func.count()], [counted],
                   unindexed(entry.unit_id).label("unit"), units, ancestors, rate=True)


def _bucket(column, bounds: list[tuple]):
    """The index of the (start, end-exclusive) bound a value falls in, as a CASE expression."""
    return case(*[(and_(column >= lo, column < hi), literal(i)) for i, (lo, hi) in
                  enumerate(bounds)], else_=literal(-1))


def _involved(*where):
    """(action id, unit id, headcount, kind, start) for the lead unit (headcount 0) and every
    participating unit of the actions that match ``where`` (conditions on JointAction): the
    action filtered first, in both branches."""
    from enforcement.joint.models import ActionParticipant, JointAction

    start = _action_start()
    return union_all(
        select(JointAction.id, JointAction.unit_id, literal_column("0"), JointAction.kind,
               start).where(*where),
        select(ActionParticipant.action_id, ActionParticipant.unit_id,
               ActionParticipant.headcount, JointAction.kind, start)
        .join(JointAction, JointAction.id == ActionParticipant.action_id).where(*where))


def _action_start():
    from enforcement.joint.models import JointAction

    return func.coalesce(JointAction.actual_start, JointAction.planned_start)


def _month_bounds(w: Window, months: list[tuple[dt.date, dt.date]]):
    return [(dt.datetime.combine(s, dt.time(), LOCAL).astimezone(dt.timezone.utc),
             dt.datetime.combine(e + dt.timedelta(days=1), dt.time(), LOCAL)
             .astimezone(dt.timezone.utc)) for s, e in months]


def _joint_rows(w: Window, months) -> list[tuple]:
    """(action id, unit id, kind, month index or -1, counts as a patrol, people) of every
    approved or completed daily patrol and concentrated action started in the window or the
    months, once for the lead unit and once for each participating unit: both joint metrics
    from one statement. An action's people are its participants' headcounts, all of them in
    the rows; the month and the patrol window are read from its start here."""
    from enforcement.joint.models import ActionKind, ActionStatus, JointAction

    bounds = _month_bounds(w, months)
    start = _action_start()
    rows = db.session.execute(_involved(
        JointAction.kind.in_([ActionKind.daily_patrol, ActionKind.concentrated_action]),
        JointAction.status.in_([ActionStatus.approved, ActionStatus.completed]),
        start >= min([w.start_utc] + [lo for lo, _hi in bounds]),
        start < max([w.end_utc] + [hi for _lo, hi in bounds]))).all()
    people: dict[int, int] = {}
    for aid, _uid, headcount, _kind, _start in rows:
        people[aid] = people.get(aid, 0) + int(headcount or 0)
    out = []
    for aid, uid, _headcount, kind, began in rows:
        month = next((i for i, (lo, hi) in enumerate(bounds) if lo <= began < hi), -1)
        patrol = w.start_utc <= began < w.end_utc and began < w.as_of_utc
        out.append((aid, uid, kind, month, patrol, people[aid]))
    return out


def _most_people(rows, ancestors) -> dict[tuple[int, int], int]:
    from enforcement.joint.models import ActionKind

    best: dict[tuple[int, int], int] = {}
    for _aid, uid, kind, m, _patrol, people in rows:
        if kind == ActionKind.concentrated_action and m >= 0:
            for a in ancestors.get(uid, ()):
                best[(a, m)] = max(best.get((a, m), 0), people)
    return best


def _patrols(rows, ancestors) -> dict[int, Ratio]:
    from enforcement.joint.models import ActionKind

    held: dict[int, set[int]] = {}
    for aid, uid, kind, _m, patrol, _people in rows:
        if kind == ActionKind.daily_patrol and patrol:
            for a in ancestors.get(uid, ()):
                held.setdefault(a, set()).add(aid)  # an action counts once per unit
    return {a: Ratio(Decimal(len(actions))) for a, actions in held.items()}


def concentrated_people(units, w: Window, months, ancestors=None) -> dict[tuple[int, int], int]:
    """(unit id, month index) → the most people on a concentrated action the unit's subtree
    led or took part in that month."""
    if not months:
        return {}
    return _most_people(_joint_rows(w, months), ancestors or _ancestors(units))


def _level(unit: Unit) -> str:
    return "city" if unit.kind == UnitKind.city else "district"


def _minimum(level: str) -> int:
    return settings.get(f"joint.concentrated_{level}_min_people")


def minimum_people(unit: Unit) -> int:
    return _minimum(_level(unit))


def concentrated_action_breaches(units, w: Window, months, ancestors=None,
                                 people=None) -> dict[int, Ratio]:
    ended = [i for i, (_s, e) in enumerate(months) if e < w.as_of]
    if people is None:
        people = concentrated_people(units, w, months, ancestors)
    # two settings (city, district), read once rather than once per unit
    need = {level: _minimum(level) for level in {_level(unit) for unit in units}}
    return {unit.id: Ratio(Decimal(sum(1 for i in ended
                                       if people.get((unit.id, i), 0) < need[_level(unit)])))
            for unit in units}


def joint_patrols(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    return _patrols(_joint_rows(w, [(w.start, w.end)]), ancestors or _ancestors(units))


def meetings_by_quarter(units, w: Window, quarters, ancestors=None) -> set[tuple[int, int]]:
    from enforcement.joint.models import Meeting

    bounds = [(s, e + dt.timedelta(days=1)) for s, e in quarters]
    bucket = _bucket(Meeting.held_on, bounds).label("q")
    rows = db.session.execute(
        select(Meeting.unit_id, bucket).where(Meeting.held_on >= bounds[0][0],
                                              Meeting.held_on < bounds[-1][1])
        .group_by(Meeting.unit_id, bucket))
    ancestors = ancestors or _ancestors(units)
    return {(a, q) for uid, q in rows if q >= 0 for a in ancestors.get(uid, ())}


def meeting_breaches(units, w: Window, quarters, ancestors=None) -> dict[int, Ratio]:
    ended = [i for i, (_s, e) in enumerate(quarters) if e < w.as_of]
    held = meetings_by_quarter(units, w, quarters, ancestors) if quarters else set()
    return {unit.id: Ratio(Decimal(sum(1 for i in ended if (unit.id, i) not in held)))
            for unit in units}


def unit_metrics(units: list[Unit], w: Window, months, quarters) -> dict[int, dict[str, Ratio]]:
    """Every unit metric for every unit: unit id → metric name → Ratio."""
    if not units:
        return {}
    ancestors = _ancestors(units)
    joint = _joint_rows(w, months)
    families = {
        "cases_registered": cases_registered(units, w, ancestors),
        "decisions_on_time": decisions_on_time(units, w, ancestors),
        "tips_on_time": tips_on_time(units, w, ancestors),
        "late_tasks": late_tasks(units, w, ancestors),
        "blacklist_reviews_on_time": blacklist_reviews_on_time(units, w, ancestors),
        "joint_patrols": _patrols(joint, ancestors),
        "concentrated_action_breaches": concentrated_action_breaches(
            units, w, months, ancestors, people=_most_people(joint, ancestors)),
        "meeting_breaches": meeting_breaches(units, w, quarters, ancestors),
    }
    zero_rate = Ratio(Decimal(0), Decimal(0))
    out = {}
    for unit in units:
        out[unit.id] = {name: values.get(unit.id, zero_rate if name in RATES else Ratio(
            Decimal(0))) for name, values in families.items()}
    return out


RATES = frozenset({"decisions_on_time", "tips_on_time", "blacklist_reviews_on_time"})


# Officer metrics -----------------------------------------------------------------------------

def officer_metrics(officer_ids: list[int], w: Window) -> dict[int, dict[str, Ratio]]:
    """Officer metrics: decisions past the legal deadline on cases the officer handled."""
    from enforcement.cases.models import CaseOfficer

    if not officer_ids:
        return {}
    clock, due, on_time = decision_clock_rows(w)
    rows = db.session.execute(
        select(CaseOfficer.user_id, func.count(func.distinct(clock.id))).select_from(clock)
        .join(CaseOfficer, CaseOfficer.case_id == clock.case_id)
        .where(CaseOfficer.user_id.in_(officer_ids), due, not_(on_time))
        .group_by(CaseOfficer.user_id))
    late = dict(rows.all())
    return {oid: {"decisions_late": Ratio(Decimal(late.get(oid, 0)))} for oid in officer_ids}
