"""Scoped statements of joint actions (lists, calendar, export, API)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Select, or_, select

from core import scoping
from core.models import Unit
from enforcement.joint.models import (
    ActionKind,
    ActionParticipant,
    ActionStatus,
    JointAction,
    RuleBreach,
)
from enforcement.joint.rules import LOCAL


@dataclass
class ActionFilter:
    kind: Optional[str] = None
    status: Optional[str] = None
    unit: Optional[str] = None
    month: Optional[str] = None
    breaches: bool = False


def month_bounds(month: str) -> Optional[tuple[dt.datetime, dt.datetime]]:
    """``YYYY-MM`` as [start, end) in Asia/Shanghai; None when malformed."""
    try:
        first = dt.datetime.strptime(month, "%Y-%m")
    except (TypeError, ValueError):
        return None
    nxt = dt.datetime(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first.replace(tzinfo=LOCAL), nxt.replace(tzinfo=LOCAL)


def actions_in_scope(actor, f: Optional[ActionFilter] = None) -> Select:
    """Actions the actor's units lead, host or join, filtered (kind, status, lead unit code,
    month)."""
    f = f or ActionFilter()
    stmt = select(JointAction)
    if not scoping.is_citywide(actor):
        ids = scoping.subtree_ids(actor)
        stmt = stmt.where(or_(JointAction.unit_id.in_(ids), JointAction.host_unit_id.in_(ids),
                              JointAction.participants.any(ActionParticipant.unit_id.in_(ids))))
    if f.kind in ActionKind._value2member_map_:
        stmt = stmt.where(JointAction.kind == ActionKind(f.kind))
    if f.status in ActionStatus._value2member_map_:
        stmt = stmt.where(JointAction.status == ActionStatus(f.status))
    if f.unit:
        unit_path = select(Unit.path).where(Unit.code == f.unit.strip().upper()) \
            .scalar_subquery()
        stmt = stmt.join(Unit, Unit.id == JointAction.unit_id).where(
            Unit.path.startswith(unit_path))
    bounds = month_bounds(f.month) if f.month else None
    if bounds:
        stmt = stmt.where(JointAction.planned_start < bounds[1],
                          JointAction.planned_end > bounds[0])
    if f.breaches:
        stmt = stmt.where(JointAction.breaches.any())
    return stmt


def breaches_in_scope(actor, period: Optional[str] = None) -> Select:
    stmt = scoping.scoped(select(RuleBreach), actor, RuleBreach.unit_id)
    if period:
        stmt = stmt.where(RuleBreach.period == period)
    return stmt.order_by(RuleBreach.period.desc(), RuleBreach.id.desc())
