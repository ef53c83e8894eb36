"""Scoped statements for tips: the reviewers' queue, overdue tips, duplicate candidates."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Select, and_, exists, or_, select

from core import plates, scoping
from enforcement.tips.models import OPEN_STATUSES, Tip, TipPlate, TipStatus


@dataclass
class TipFilter:
    status: Optional[str] = None
    overdue: bool = False
    plate: Optional[str] = None


def overdue_condition(today: dt.date):
    """An open tip past one of its stored deadlines (accept, conclude, reply)."""
    return or_(
        and_(Tip.accepted_at.is_(None), Tip.status.in_(OPEN_STATUSES), Tip.accept_due_on < today),
        and_(Tip.concluded_at.is_(None), Tip.status.in_(OPEN_STATUSES),
             Tip.conclude_due_on < today),
        and_(Tip.concluded_at.is_not(None), Tip.replied_at.is_(None), Tip.reply_due_on < today),
    )


def tips_in_scope(actor, f: Optional[TipFilter] = None, *, today: Optional[dt.date] = None) \
        -> Select:
    """Tips the actor may see, filtered; callers add ordering and paging."""
    f = f or TipFilter()
    stmt = scoping.scoped(select(Tip), actor, Tip.unit_id)
    if f.status and f.status in TipStatus._value2member_map_:
        stmt = stmt.where(Tip.status == TipStatus(f.status))
    if f.overdue and today is not None:
        stmt = stmt.where(Tip.merged_into_id.is_(None), overdue_condition(today))
    if f.plate:
        stmt = stmt.where(exists().where(TipPlate.tip_id == Tip.id,
                                         TipPlate.plate == plates.normalise_plate(f.plate)))
    return stmt


def duplicate_candidates(actor, tip: Tip, *, since: dt.datetime, until: dt.datetime,
                         radius_m: float) -> Select:
    """Tips in scope received in the window with a shared plate or a point in the bounding box of
    the radius (the caller checks the exact distance)."""
    conditions = []
    if tip.plates:
        conditions.append(exists().where(TipPlate.tip_id == Tip.id,
                                         TipPlate.plate.in_(tip.plate_list)))
    if tip.lat is not None:
        dlat = radius_m / 111_000
        dlng = radius_m / (111_000 * max(math.cos(math.radians(tip.lat)), 0.01))
        conditions.append(and_(Tip.lat.between(tip.lat - dlat, tip.lat + dlat),
                               Tip.lng.between(tip.lng - dlng, tip.lng + dlng)))
    if not conditions:
        return select(Tip).where(Tip.id.is_(None))
    stmt = select(Tip).where(Tip.id != tip.id, Tip.merged_into_id.is_(None),
                             Tip.created_at.between(since, until), or_(*conditions))
    return scoping.scoped(stmt, actor, Tip.unit_id).order_by(Tip.created_at, Tip.id)
