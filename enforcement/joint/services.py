"""Joint actions: plan (validated, rules checked, breaches stored), approval, results."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional

from flask_babel import lazy_gettext as _l
from shapely.errors import GEOSException
from shapely.geometry import shape
from sqlalchemy import delete, select

from core import audit, scoping, settings
from core.base import utcnow
from core.errors import ConflictError, DomainError
from core.models import Department, Unit, UnitKind
from enforcement.cases.models import Case
from enforcement.joint import rules
from enforcement.joint.models import (
    ActionArea,
    ActionKind,
    ActionParticipant,
    ActionPhase,
    ActionStatus,
    JointAction,
    PhaseKind,
    RuleBreach,
    Zone,
)
from extensions import db

AREA_KINDS = {"district", "county"}


@dataclass
class ParticipantInput:
    unit_id: int
    headcount: int
    department: Optional[str] = None


@dataclass
class PhaseInput:
    kind: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass
class AreaInput:
    zone_id: Optional[int] = None
    geojson: Optional[dict] = None
    name: str = ""


@dataclass
class ActionInput:
    kind: str
    name: str
    planned_start: Optional[dt.datetime]
    planned_end: Optional[dt.datetime]
    description: str = ""
    host_unit_id: Optional[int] = None
    participants: list[ParticipantInput] = field(default_factory=list)
    phases: list[PhaseInput] = field(default_factory=list)
    areas: list[AreaInput] = field(default_factory=list)


@dataclass
class ResultsInput:
    actual_start: Optional[dt.datetime]
    actual_end: Optional[dt.datetime]
    vehicles_checked: int = 0
    vehicles_detained: int = 0
    fines: object = 0
    violent_incidents: int = 0
    media_reports: int = 0
    note: str = ""
    case_numbers: list[str] = field(default_factory=list)


def district_of(unit: Unit) -> Optional[Unit]:
    """The district or county a unit belongs to; None for the city and its own departments."""
    while unit is not None:
        if unit.kind.value in AREA_KINDS:
            return unit
        unit = unit.parent
    return None


def is_city_level(unit: Unit) -> bool:
    return district_of(unit) is None


def parse_geometry(value, field_name: str, *, polygon_only: bool = False):
    """A GeoJSON Polygon (or Point) as a valid shapely geometry, or DomainError on ``field``."""
    if not isinstance(value, dict):
        raise DomainError(_l("The area is not a GeoJSON object."), field=field_name)
    allowed = ("Polygon",) if polygon_only else ("Polygon", "Point")
    if value.get("type") not in allowed:
        raise DomainError(_l("Draw a polygon (or a point for an action)."), field=field_name)
    try:
        geometry = shape(value)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise DomainError(_l("The polygon is not a valid ring."), field=field_name) from None
    if geometry.is_empty or not geometry.is_valid:
        raise DomainError(_l("The polygon is not a valid ring."), field=field_name)
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise DomainError(_l("The coordinates are out of range."), field=field_name)
    return geometry


def _validate(data: ActionInput, actor, lead: Unit) -> tuple[list, list, list]:
    if data.kind not in ActionKind._value2member_map_:
        raise DomainError(_l("Choose the kind of action."), field="kind")
    if not (data.name or "").strip() or len(data.name) > 200:
        raise DomainError(_l("Enter a name (at most 200 characters)."), field="name")
    if data.planned_start is None:
        raise DomainError(_l("Enter when the action starts."), field="planned_start")
    if data.planned_end is None:
        raise DomainError(_l("Enter when the action ends."), field="planned_end")
    if data.planned_end <= data.planned_start:
        raise DomainError(_l("The plan ends before it starts."), field="planned_end")
    if data.kind == ActionKind.cross_region_action.value:
        host = db.session.get(Unit, data.host_unit_id) if data.host_unit_id else None
        if host is None or host.id == lead.id:
            raise DomainError(_l("Choose the district the officers work in."),
                              field="host_unit_id")
    participants = []
    seen = set()
    for p in data.participants:
        if isinstance(p.headcount, bool) or not isinstance(p.headcount, int) or p.headcount < 0:
            raise DomainError(_l("Headcounts must be whole numbers of zero or more."),
                              field="participants")
        unit = db.session.get(Unit, p.unit_id) if p.unit_id else None
        if unit is None:
            raise DomainError(_l("Choose an existing unit."), field="participants")
        department = p.department or unit.department.value
        if department not in Department._value2member_map_:
            raise DomainError(_l("Choose a department."), field="participants")
        if (unit.id, department) in seen:
            raise DomainError(_l("A unit is listed twice."), field="participants")
        seen.add((unit.id, department))
        participants.append(ActionParticipant(unit_id=unit.id, unit=unit,
                                              department=Department(department),
                                              headcount=p.headcount))
    phases = []
    if data.phases and data.kind != ActionKind.special_campaign.value:
        raise DomainError(_l("Only a special campaign has phases."), field="phases")
    for ph in data.phases:
        if ph.kind not in PhaseKind._value2member_map_ or ph.starts_on is None \
                or ph.ends_on is None:
            raise DomainError(_l("Each phase needs a kind, a start and an end."), field="phases")
        if ph.ends_on < ph.starts_on:
            raise DomainError(_l("A phase ends before it starts."), field="phases")
        phases.append(ActionPhase(kind=PhaseKind(ph.kind), starts_on=ph.starts_on,
                                  ends_on=ph.ends_on))
    if rules.overlapping_phases([(p.starts_on, p.ends_on) for p in phases]):
        raise DomainError(_l("Phases overlap."), field="phases")
    areas = []
    for a in data.areas:
        if a.zone_id:
            zone = db.session.get(Zone, a.zone_id)
            if zone is None or (actor is not None and not scoping.in_scope(actor, zone)):
                raise DomainError(_l("Choose a zone you can see."), field="areas")
            areas.append(ActionArea(zone_id=zone.id, name=a.name or zone.name))
        else:
            parse_geometry(a.geojson, "areas")
            areas.append(ActionArea(geojson=a.geojson, name=a.name[:120]))
    return participants, phases, areas


def headcounts(action: JointAction) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in action.participants:
        out[p.department.value] = out.get(p.department.value, 0) + p.headcount
    return out


def month_of(value: dt.datetime) -> str:
    return value.astimezone(rules.LOCAL).strftime("%Y-%m")


def check_breaches(action: JointAction, joint_rules: Optional[dict] = None) -> list[rules.Breach]:
    """The rules the action's plan breaks now (for the plan page's warning); ``joint_rules``:
    the ``joint.`` settings when the caller checks many actions (read here otherwise)."""
    if joint_rules is None:
        joint_rules = settings.get_many("joint.")
    return rules.check_plan(action.kind.value, city_level=is_city_level(action.unit),
                            start=action.planned_start, end=action.planned_end,
                            headcounts=headcounts(action), rules=joint_rules)


def preview_breaches(*, actor, unit: Unit, data: ActionInput) -> list[rules.Breach]:
    """The rules a plan would break, checked before saving it (nothing is stored)."""
    participants, _phases, _areas = _validate(data, actor, unit)
    counts: dict[str, int] = {}
    for p in participants:
        counts[p.department.value] = counts.get(p.department.value, 0) + p.headcount
    return rules.check_plan(data.kind, city_level=is_city_level(unit),
                            start=data.planned_start, end=data.planned_end, headcounts=counts,
                            rules=settings.get_many("joint."))


def _store_breaches(action: JointAction) -> list[RuleBreach]:
    db.session.execute(delete(RuleBreach).where(RuleBreach.action_id == action.id))
    stored = []
    for b in check_breaches(action):
        row = RuleBreach(key=f"a{action.id}:{b.rule}", unit_id=action.unit_id,
                         action_id=action.id, rule=b.rule, detail=b.detail,
                         period=month_of(action.planned_start))
        db.session.add(row)
        stored.append(row)
    db.session.flush()
    db.session.expire(action, ["breaches"])
    return stored


def plan_action(*, actor, unit: Unit, data: ActionInput) -> JointAction:
    """Create a planned action; the rules it breaks are stored as breaches (and shown)."""
    participants, phases, areas = _validate(data, actor, unit)
    action = JointAction(unit_id=unit.id, unit=unit, kind=ActionKind(data.kind),
                         name=data.name.strip(), description=data.description or "",
                         host_unit_id=data.host_unit_id if data.kind ==
                         ActionKind.cross_region_action.value else None,
                         planned_start=data.planned_start, planned_end=data.planned_end,
                         created_by_id=getattr(actor, "id", None),
                         participants=participants, phases=phases, areas=areas)
    db.session.add(action)
    db.session.flush()
    breaches = _store_breaches(action)
    audit.record("joint_action.plan", actor=actor, object_type="joint_action",
                 object_id=action.id, unit_id=unit.id,
                 detail={"kind": action.kind.value, "breaches": [b.rule for b in breaches]})
    return action


def update_plan(action: JointAction, *, actor, data: ActionInput) -> JointAction:
    """Change a plan that is not approved yet; its breaches are checked again."""
    _require_lead(action, actor)
    if action.status is not ActionStatus.planned:
        raise ConflictError(_l("Only a plan that is not approved yet can be changed."))
    participants, phases, areas = _validate(data, actor, action.unit)
    action.kind = ActionKind(data.kind)
    action.name = data.name.strip()
    action.description = data.description or ""
    action.host_unit_id = data.host_unit_id if data.kind == \
        ActionKind.cross_region_action.value else None
    action.planned_start, action.planned_end = data.planned_start, data.planned_end
    action.participants, action.phases, action.areas = [], [], []
    db.session.flush()  # the old rows go first: the new ones may repeat their unique keys
    action.participants, action.phases, action.areas = participants, phases, areas
    db.session.flush()
    _store_breaches(action)
    audit.record("joint_action.replan", actor=actor, object_type="joint_action",
                 object_id=action.id, unit_id=action.unit_id)
    return action


def is_lead(action: JointAction, actor) -> bool:
    """The actor belongs to the lead unit's subtree (or is city-wide, or the system)."""
    return actor is None or scoping.can_see_unit(actor, action.unit)


def _require_lead(action: JointAction, actor) -> None:
    if not is_lead(action, actor):
        raise ConflictError(_l("Only the lead unit changes, approves or completes an action."))


def approve(action: JointAction, *, actor) -> JointAction:
    """Approve a plan (the unit leader or a supervision office)."""
    _require_lead(action, actor)
    if action.status is not ActionStatus.planned:
        raise ConflictError(_l("Only a planned action can be approved."))
    action.status = ActionStatus.approved
    action.approved_by_id = getattr(actor, "id", None)
    action.approved_at = utcnow()
    db.session.flush()
    audit.record("joint_action.approve", actor=actor, object_type="joint_action",
                 object_id=action.id, unit_id=action.unit_id)
    return action


def cancel(action: JointAction, *, actor) -> JointAction:
    """Cancel a planned or approved action."""
    _require_lead(action, actor)
    if action.status not in (ActionStatus.planned, ActionStatus.approved):
        raise ConflictError(_l("A completed or cancelled action cannot be cancelled."))
    action.status = ActionStatus.cancelled
    db.session.flush()
    audit.record("joint_action.cancel", actor=actor, object_type="joint_action",
                 object_id=action.id, unit_id=action.unit_id)
    return action


def _count(value, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DomainError(_l("Enter a whole number of zero or more."), field=field_name)
    return value


def record_results(action: JointAction, *, actor, data: ResultsInput) -> JointAction:
    """Record what the action did; linked cases get the action's id. Completes the action."""
    _require_lead(action, actor)
    if action.status not in (ActionStatus.approved, ActionStatus.completed):
        raise ConflictError(_l("Results are recorded for an approved action."))
    if data.actual_start is None:
        raise DomainError(_l("Enter when the action started."), field="actual_start")
    if data.actual_end is None or data.actual_end <= data.actual_start:
        raise DomainError(_l("The action ends before it starts."), field="actual_end")
    counts = {name: _count(getattr(data, name), name) for name in (
        "vehicles_checked", "vehicles_detained", "violent_incidents", "media_reports")}
    try:
        fines = Decimal(str(data.fines if data.fines not in (None, "") else 0))
    except InvalidOperation:
        raise DomainError(_l("Enter an amount in yuan."), field="fines") from None
    if not fines.is_finite() or fines < 0 or fines != fines.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter an amount in yuan."), field="fines")
    cases = []
    for number in {n.strip() for n in data.case_numbers if n and n.strip()}:
        case = db.session.scalar(select(Case).where(Case.number == number))
        if case is None or (actor is not None and not scoping.in_scope(actor, case)):
            raise DomainError(_l("No case %(number)s in your units.", number=number),
                              field="case_numbers")
        if case.joint_action_id not in (None, action.id):
            raise DomainError(_l("Case %(number)s belongs to another action.", number=number),
                              field="case_numbers")
        cases.append(case)
    for name, value in counts.items():
        setattr(action, name, value)
    action.fines = fines
    action.actual_start, action.actual_end = data.actual_start, data.actual_end
    action.results_note = data.note or ""
    action.results_recorded_at = utcnow()
    action.status = ActionStatus.completed
    keep = {c.id for c in cases}
    for case in linked_cases(action):  # a correction may drop a case linked before
        if case.id not in keep:
            case.joint_action_id = None
    for case in cases:
        case.joint_action_id = action.id
    db.session.flush()
    audit.record("joint_action.results", actor=actor, object_type="joint_action",
                 object_id=action.id, unit_id=action.unit_id,
                 detail={**counts, "fines": str(fines), "cases": len(cases)})
    return action


def linked_cases(action: JointAction) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.joint_action_id == action.id)
                                   .order_by(Case.id)))


def area_units(actor) -> list[Unit]:
    """Districts and counties (for cross-region actions and the quarterly meeting check)."""
    return list(db.session.scalars(select(Unit).where(
        Unit.kind.in_([UnitKind.district, UnitKind.county]), Unit.is_active.is_(True))
        .order_by(Unit.code)))
