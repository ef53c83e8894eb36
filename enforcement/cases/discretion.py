"""Discretion (裁量基准): which tier applies to a case, from the party's and vehicle's history."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, select

from core import settings
from core.base import local_today
from enforcement.cases.models import Case, CaseParty, CaseStatus, CaseVehicle, PartyRole
from enforcement.violations.models import Tier
from extensions import db

DECIDED = (CaseStatus.decided, CaseStatus.executed, CaseStatus.closed)


@dataclass(frozen=True)
class Guidance:
    tier: Tier
    min_fine: Decimal
    max_fine: Decimal
    reasons: tuple[str, ...]


def choose_tier(*, is_organiser: bool, repeat_in_window: bool, earlier_cases: int) -> Tier:
    """The pure rule: organisers and repeat offenders within the window are serious; anyone
    with an earlier case is general; otherwise it is a first offence."""
    if is_organiser or repeat_in_window:
        return Tier.serious
    if earlier_cases:
        return Tier.general
    return Tier.first


def _earlier(case: Case, since: dt.date | None):
    """Earlier decided cases naming one of this case's persons or vehicles."""
    person_ids = [p.person_id for p in case.parties]
    vehicle_ids = [v.vehicle_id for v in case.vehicles]
    stmt = select(Case.id).where(Case.id != case.id, Case.status.in_(DECIDED))
    if since is not None:
        stmt = stmt.where(Case.decided_on >= since)
    links = []
    if person_ids:
        links.append(exists().where(CaseParty.case_id == Case.id,
                                    CaseParty.person_id.in_(person_ids)))
    if vehicle_ids:
        links.append(exists().where(CaseVehicle.case_id == Case.id,
                                    CaseVehicle.vehicle_id.in_(vehicle_ids)))
    if not links:
        return []
    from sqlalchemy import or_

    return db.session.scalars(stmt.where(or_(*links))).all()


def guidance_for(case: Case, today: dt.date | None = None) -> Guidance:
    """The tier and its allowed fine range for the case's violation type."""
    today = today or local_today()
    months = settings.get("discretion.repeat_window_months")
    since = today - dt.timedelta(days=int(months * 365 / 12))
    recent = _earlier(case, since)
    earlier = recent or _earlier(case, None)
    organiser = any(p.role is PartyRole.organiser for p in case.parties)
    tier = choose_tier(is_organiser=organiser, repeat_in_window=bool(recent),
                       earlier_cases=len(earlier))
    reasons = []
    if organiser:
        reasons.append("organiser")
    if recent:
        reasons.append(f"repeat within {months} months")
    elif earlier:
        reasons.append("earlier case")
    vt = case.violation_type
    band = vt.tier(tier) if vt is not None else None
    if band is None:
        low, high = (vt.min_fine, vt.max_fine) if vt is not None else (Decimal(0), Decimal(0))
    else:
        low, high = band.min_fine, band.max_fine
    return Guidance(tier, low, high, tuple(reasons))
