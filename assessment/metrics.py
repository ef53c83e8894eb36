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
from sqlalchemy.orm import aliased

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


def _rollup(units: list[Unit]):
    """(ancestor, record unit) aliases joined by path: a record counts for every assessed unit
    at or above its unit."""
    ancestor, record_unit = aliased(Unit), aliased(Unit)
    ids = [u.id for u in units]
    return ancestor, record_unit, ids


def _ratios(rows) -> dict[int, Ratio]:
    return {row[0]: Ratio(Decimal(int(row[1] or 0)), Decimal(int(row[2] or 0))) for row in rows}


def _counts(rows) -> dict[int, Ratio]:
    return {row[0]: Ratio(Decimal(int(row[1] or 0))) for row in rows}


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

    counted = and_(Tip.merged_into_id.is_(None), Tip.unit_id.is_not(None),
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


def _roll(rows, ancestors: dict[int, list[int]], rate: bool) -> dict[int, Ratio]:
    sums: dict[int, list[int]] = {}
    for row in rows:
        for a in ancestors.get(row[0], ()):
            acc = sums.setdefault(a, [0, 0])
            acc[0] += int(row[1] or 0)
            if rate:
                acc[1] += int(row[2] or 0)
    return {a: Ratio(Decimal(n), Decimal(d) if rate else None) for a, (n, d) in sums.items()}


def cases_registered(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    from enforcement.cases.models import Case

    rows = db.session.execute(
        select(Case.unit_id, func.count(Case.id))
        .where(Case.registered_on >= w.start, Case.registered_on <= w.end)
        .group_by(Case.unit_id))
    return _roll(rows, ancestors or _ancestors(units), rate=False)


def decisions_on_time(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    from enforcement.cases.models import Case

    clock, due, on_time = decision_clock_rows(w)
    rows = db.session.execute(
        select(Case.unit_id, func.sum(case((on_time, 1), else_=0)), func.count(clock.id))
        .select_from(clock).join(Case, Case.id == clock.case_id).where(due)
        .group_by(Case.unit_id))
    return _roll(rows, ancestors or _ancestors(units), rate=True)


def tips_on_time(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    tip, counted, any_late = tip_conditions(w)
    rows = db.session.execute(
        select(tip.unit_id, func.sum(case((any_late, 0), else_=1)), func.count(tip.id))
        .where(counted).group_by(tip.unit_id))
    return _roll(rows, ancestors or _ancestors(units), rate=True)


def late_tasks(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    task, counted, late = task_conditions(w)
    rows = db.session.execute(
        select(task.unit_id, func.count(task.id)).where(counted, late).group_by(task.unit_id))
    return _roll(rows, ancestors or _ancestors(units), rate=False)


def blacklist_reviews_on_time(units, w: Window, ancestors=None) -> dict[int, Ratio]:
    entry, counted, on_time = nomination_conditions(w)
    rows = db.session.execute(
        select(entry.unit_id, func.sum(case((on_time, 1), else_=0)), func.count(entry.id))
        .where(counted).group_by(entry.unit_id))
    return _roll(rows, ancestors or _ancestors(units), rate=True)


def _bucket(column, bounds: list[tuple]):
    """The index of the (start, end-exclusive) bound a value falls in, as a CASE expression."""
    return case(*[(and_(column >= lo, column < hi), literal(i)) for i, (lo, hi) in
                  enumerate(bounds)], else_=literal(-1))


def _involved_actions():
    """(action id, unit id) for the lead unit and every participating unit of an action."""
    from enforcement.joint.models import ActionParticipant, JointAction

    return union_all(select(JointAction.id.label("aid"), JointAction.unit_id.label("uid")),
                     select(ActionParticipant.action_id.label("aid"),
                            ActionParticipant.unit_id.label("uid"))).subquery()


def _headcounts():
    from enforcement.joint.models import ActionParticipant

    return select(ActionParticipant.action_id.label("aid"),
                  func.sum(ActionParticipant.headcount).label("people")) \
        .group_by(ActionParticipant.action_id).subquery()


def _month_bounds(w: Window, months: list[tuple[dt.date, dt.date]]):
    return [(dt.datetime.combine(s, dt.time(), LOCAL).astimezone(dt.timezone.utc),
             dt.datetime.combine(e + dt.timedelta(days=1), dt.time(), LOCAL)
             .astimezone(dt.timezone.utc)) for s, e in months]


def concentrated_people(units, w: Window, months) -> dict[tuple[int, int], int]:
    """(unit id, month index) → the most people on a concentrated action the unit's subtree
    led or took part in that month."""
    from enforcement.joint.models import ActionKind, ActionStatus, JointAction

    inv, hc = _involved_actions(), _headcounts()
    a, u, ids = _rollup(units)
    start = func.coalesce(JointAction.actual_start, JointAction.planned_start)
    month = _bucket(start, _month_bounds(w, months)).label("m")  # grouped by its label
    rows = db.session.execute(
        select(a.id, month, func.max(func.coalesce(hc.c.people, 0)))
        .select_from(JointAction).join(inv, inv.c.aid == JointAction.id)
        .outerjoin(hc, hc.c.aid == JointAction.id)
        .join(u, u.id == inv.c.uid).join(a, u.path.startswith(a.path))
        .where(a.id.in_(ids), JointAction.kind == ActionKind.concentrated_action,
               JointAction.status.in_([ActionStatus.approved, ActionStatus.completed]))
        .group_by(a.id, literal_column("m")))
    return {(row[0], row[1]): int(row[2] or 0) for row in rows if row[1] >= 0}


def _level(unit: Unit) -> str:
    return "city" if unit.kind == UnitKind.city else "district"


def _minimum(level: str) -> int:
    return settings.get(f"joint.concentrated_{level}_min_people")


def minimum_people(unit: Unit) -> int:
    return _minimum(_level(unit))


def concentrated_action_breaches(units, w: Window, months) -> dict[int, Ratio]:
    ended = [i for i, (_s, e) in enumerate(months) if e < w.as_of]
    people = concentrated_people(units, w, months)
    # two settings (city, district), read once rather than once per unit
    need = {level: _minimum(level) for level in {_level(unit) for unit in units}}
    return {unit.id: Ratio(Decimal(sum(1 for i in ended
                                       if people.get((unit.id, i), 0) < need[_level(unit)])))
            for unit in units}


def joint_patrols(units, w: Window) -> dict[int, Ratio]:
    from enforcement.joint.models import ActionKind, ActionStatus, JointAction

    inv = _involved_actions()
    a, u, ids = _rollup(units)
    start = func.coalesce(JointAction.actual_start, JointAction.planned_start)
    rows = db.session.execute(
        select(a.id, func.count(func.distinct(JointAction.id))).select_from(JointAction)
        .join(inv, inv.c.aid == JointAction.id)
        .join(u, u.id == inv.c.uid).join(a, u.path.startswith(a.path))
        .where(a.id.in_(ids), JointAction.kind == ActionKind.daily_patrol,
               JointAction.status.in_([ActionStatus.approved, ActionStatus.completed]),
               start >= w.start_utc, start < w.end_utc, start < w.as_of_utc)
        .group_by(a.id))
    return _counts(rows)


def meetings_by_quarter(units, w: Window, quarters) -> set[tuple[int, int]]:
    from enforcement.joint.models import Meeting

    a, u, ids = _rollup(units)
    bucket = _bucket(Meeting.held_on, [(s, e + dt.timedelta(days=1)) for s, e in quarters]) \
        .label("q")
    rows = db.session.execute(
        select(a.id, bucket).select_from(Meeting).join(u, u.id == Meeting.unit_id)
        .join(a, u.path.startswith(a.path)).where(a.id.in_(ids)).group_by(a.id, literal_column("q")))
    return {(row[0], row[1]) for row in rows if row[1] >= 0}


def meeting_breaches(units, w: Window, quarters) -> dict[int, Ratio]:
    ended = [i for i, (_s, e) in enumerate(quarters) if e < w.as_of]
    held = meetings_by_quarter(units, w, quarters) if quarters else set()
    return {unit.id: Ratio(Decimal(sum(1 for i in ended if (unit.id, i) not in held)))
            for unit in units}


def unit_metrics(units: list[Unit], w: Window, months, quarters) -> dict[int, dict[str, Ratio]]:
    """Every unit metric for every unit: unit id → metric name → Ratio."""
    if not units:
        return {}
    ancestors = _ancestors(units)
    families = {
        "cases_registered": cases_registered(units, w, ancestors),
        "decisions_on_time": decisions_on_time(units, w, ancestors),
        "tips_on_time": tips_on_time(units, w, ancestors),
        "late_tasks": late_tasks(units, w, ancestors),
        "blacklist_reviews_on_time": blacklist_reviews_on_time(units, w, ancestors),
        "joint_patrols": joint_patrols(units, w),
        "concentrated_action_breaches": concentrated_action_breaches(units, w, months),
        "meeting_breaches": meeting_breaches(units, w, quarters),
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
