"""Scoped statements for cases, clocks, persons' and vehicles' histories."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from core import plates, scoping
from core.models import Unit, User
from enforcement.cases.models import (
    Case,
    CaseClock,
    CaseOfficer,
    CaseParty,
    CaseStatus,
    CaseVehicle,
)
from enforcement.people.models import Person, Vehicle
from enforcement.violations.models import ViolationType

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class CaseFilter:
    unit: Optional[str] = None  # unit code: that unit and the units below it
    status: Optional[str] = None
    plate: Optional[str] = None
    violation: Optional[str] = None
    officer_id: Optional[int] = None
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL)


def cases_in_scope(actor, f: Optional[CaseFilter] = None) -> Select:
    """Cases the actor may see, filtered; callers add ordering and paging."""
    return cases_in_scope_for(scoping.scope_key(actor), f)


def cases_in_scope_for(key, f: Optional[CaseFilter] = None) -> Select:
    """:func:`cases_in_scope` of the actor whose ``scoping.scope_key`` is ``key``."""
    f = f or CaseFilter()
    stmt = select(Case).where(scoping.condition_for(key, Case.unit_id))
    if f.unit:
        sub = select(Unit.path).where(Unit.code == f.unit.strip().upper()).scalar_subquery()
        stmt = stmt.where(Case.unit_id.in_(select(Unit.id).where(
            Unit.path.startswith(sub))))
    if f.status and f.status in CaseStatus._value2member_map_:
        stmt = stmt.where(Case.status == CaseStatus(f.status))
    if f.violation:
        stmt = stmt.where(Case.violation_type_id.in_(
            select(ViolationType.id).where(ViolationType.code == f.violation.strip())))
    if f.plate:
        plate = plates.normalise_plate(f.plate)
        stmt = stmt.where(exists().where(
            CaseVehicle.case_id == Case.id, CaseVehicle.vehicle_id == Vehicle.id,
            Vehicle.plate == plate))
    if f.officer_id:
        stmt = stmt.where(exists().where(CaseOfficer.case_id == Case.id,
                                         CaseOfficer.user_id == f.officer_id))
    if f.date_from:
        stmt = stmt.where(Case.occurred_at >= _local_midnight(f.date_from))
    if f.date_to:
        stmt = stmt.where(Case.occurred_at < _local_midnight(f.date_to + dt.timedelta(days=1)))
    return stmt


def list_loads(stmt: Select, *, people: bool = True) -> Select:
    """Load what a list row shows with the page: unit and violation type joined, officers,
    vehicles (and parties) in one ``IN`` query each, so a page costs a fixed number of queries
    however many rows it has (no N+1); of the related rows only the columns a list shows."""
    stmt = stmt.options(joinedload(Case.violation_type).load_only(ViolationType.code),
                        selectinload(Case.vehicles).joinedload(CaseVehicle.vehicle)
                        .load_only(Vehicle.plate, Vehicle.plate_colour))
    if people:
        stmt = stmt.options(joinedload(Case.unit).load_only(Unit.code),
                            selectinload(Case.officers).joinedload(CaseOfficer.user)
                            .load_only(User.username),
                            selectinload(Case.parties).joinedload(CaseParty.person)
                            .load_only(Person.name, Person.id_number))
    return stmt


def clocks_due(actor, *, today: dt.date, within_days: int, officer_id: Optional[int] = None,
               unit_code: Optional[str] = None) -> Select:
    """Open clocks of cases in scope that are overdue or due within ``within_days``."""
    stmt = (select(CaseClock, Case).join(Case, CaseClock.case_id == Case.id)
            .where(CaseClock.done_on.is_(None),
                   CaseClock.due_on <= today + dt.timedelta(days=within_days)))
    stmt = scoping.scoped(stmt, actor, Case.unit_id)
    if officer_id:
        stmt = stmt.where(exists().where(CaseOfficer.case_id == Case.id,
                                         CaseOfficer.user_id == officer_id))
    if unit_code:
        sub = select(Unit.path).where(Unit.code == unit_code.strip().upper()).scalar_subquery()
        stmt = stmt.where(Case.unit_id.in_(select(Unit.id).where(Unit.path.startswith(sub))))
    return stmt.order_by(CaseClock.due_on, Case.id)


def cases_of_vehicle(actor, vehicle_id: int) -> Select:
    stmt = select(Case).where(exists().where(CaseVehicle.case_id == Case.id,
                                             CaseVehicle.vehicle_id == vehicle_id))
    return scoping.scoped(stmt, actor, Case.unit_id).order_by(Case.occurred_at.desc())


def cases_of_person(actor, person_id: int) -> Select:
    stmt = select(Case).where(exists().where(CaseParty.case_id == Case.id,
                                             CaseParty.person_id == person_id))
    return scoping.scoped(stmt, actor, Case.unit_id).order_by(Case.occurred_at.desc())


def near_plate_vehicles(plate: str, limit: int = 10) -> Select:
    """Vehicles whose plate is one character off (same length), via indexable LIKE patterns."""
    patterns = plates.like_patterns(plate)
    return (select(Vehicle).where(or_(*[Vehicle.plate.like(p) for p in patterns]),
                                  Vehicle.plate != plate).limit(limit))


