"""Strict-control zones (严管区域): polygons with weekly hours, their responsible unit, and the
cases and tips marked as inside a zone during its hours (computed, never stored)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import lazy_gettext as _l
from shapely.geometry import shape
from sqlalchemy import Select, select

from core import audit, scoping
from core.errors import DomainError
from core.models import Unit
from enforcement.cases.models import Case, CaseStatus
from enforcement.joint import rules
from enforcement.joint.models import Zone, ZoneWindow
from enforcement.joint.services import parse_geometry
from extensions import db


@dataclass
class ZoneInput:
    name: str
    geojson: Optional[dict]
    windows: list[tuple[int, dt.time, dt.time]] = field(default_factory=list)
    responsible_department: str = ""
    is_active: bool = True


def parse_windows(text: str) -> list[tuple[int, dt.time, dt.time]]:
    """``"1-5 17:00-20:00; 6,7 09:00-12:00"`` (1 = Monday … 7 = Sunday) as weekly windows."""
    windows = []
    for chunk in (text or "").replace("；", ";").split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            days_part, time_part = chunk.split()
            start_s, end_s = time_part.split("-")
            start, end = dt.time.fromisoformat(start_s), dt.time.fromisoformat(end_s)
            days: list[int] = []
            for piece in days_part.replace("，", ",").split(","):
                if "-" in piece:
                    a, b = (int(x) for x in piece.split("-"))
                    days.extend(range(a, b + 1))
                else:
                    days.append(int(piece))
        except ValueError:
            raise DomainError(_l("Write the hours like 1-5 17:00-20:00; 6,7 09:00-12:00."),
                              field="windows") from None
        if not days or any(d < 1 or d > 7 for d in days) or start == end:
            raise DomainError(_l("Days run from 1 (Monday) to 7 (Sunday); a window needs a "
                                 "length."), field="windows")
        windows.extend((d - 1, start, end) for d in sorted(set(days)))
    return windows


def format_windows(zone: Zone) -> str:
    """The inverse of :func:`parse_windows`, one group per distinct time window."""
    groups: dict[tuple, list[int]] = {}
    for w in zone.windows:
        groups.setdefault((w.starts_at, w.ends_at), []).append(w.weekday + 1)
    return "; ".join(f"{','.join(map(str, days))} {a:%H:%M}-{b:%H:%M}"
                     for (a, b), days in groups.items())


def _apply(zone: Zone, data: ZoneInput) -> None:
    if not (data.name or "").strip() or len(data.name) > 120:
        raise DomainError(_l("Enter a name (at most 120 characters)."), field="name")
    geometry = parse_geometry(data.geojson, "geojson", polygon_only=True)
    if not data.windows:
        raise DomainError(_l("Give at least one weekly time window."), field="windows")
    minx, miny, maxx, maxy = geometry.bounds
    zone.name = data.name.strip()
    zone.responsible_department = (data.responsible_department or "").strip()[:120] or None
    zone.geojson = data.geojson
    zone.is_active = data.is_active
    zone.min_lat, zone.max_lat, zone.min_lng, zone.max_lng = miny, maxy, minx, maxx
    zone.windows = [ZoneWindow(weekday=d, starts_at=a, ends_at=b) for d, a, b in data.windows]


def create_zone(*, actor, unit: Unit, data: ZoneInput) -> Zone:
    """Draw a zone and assign it to its responsible unit (定点包干)."""
    zone = Zone(unit_id=unit.id, unit=unit)
    _apply(zone, data)
    db.session.add(zone)
    db.session.flush()
    audit.record("zone.create", actor=actor, object_type="zone", object_id=zone.id,
                 unit_id=unit.id)
    return zone


def update_zone(zone: Zone, *, actor, data: ZoneInput, unit: Optional[Unit] = None) -> Zone:
    _apply(zone, data)
    if unit is not None:
        zone.unit_id, zone.unit = unit.id, unit
    db.session.flush()
    audit.record("zone.update", actor=actor, object_type="zone", object_id=zone.id,
                 unit_id=zone.unit_id)
    return zone


def zones_in_scope(actor) -> Select:
    return scoping.scoped(select(Zone), actor, Zone.unit_id).order_by(Zone.name)


def _windows(zone: Zone):
    return [(w.weekday, w.starts_at, w.ends_at) for w in zone.windows]


def _candidates(model, zone: Zone, since, until, actor=None) -> Select:
    """Rows with a point in the zone's bounding box in the period (the box pre-filters in SQL;
    :func:`rules.in_zone` decides)."""
    at = model.occurred_at
    stmt = select(model).where(model.lat.between(zone.min_lat, zone.max_lat),
                               model.lng.between(zone.min_lng, zone.max_lng))
    if since is not None:
        stmt = stmt.where(at >= since)
    if until is not None:
        stmt = stmt.where(at < until)
    if model is Case:
        stmt = stmt.where(Case.status != CaseStatus.withdrawn)
    if actor is not None:
        stmt = scoping.scoped(stmt, actor, model.unit_id)
    return stmt.order_by(at)


def marked(model, zone: Zone, *, since=None, until=None, actor=None) -> list:
    """Cases (or tips) inside the zone during its hours; ``actor`` restricts to their scope."""
    geometry, windows = shape(zone.geojson), _windows(zone)
    return [row for row in db.session.scalars(_candidates(model, zone, since, until, actor))
            if rules.in_zone(geometry, windows, row.lat, row.lng, row.occurred_at)]


def zones_of(lat, lng, at: dt.datetime, zones: list[Zone]) -> list[Zone]:
    """The zones whose mark a point at a time gets (for case and tip pages)."""
    return [z for z in zones if z.is_active and z.min_lat <= (lat or 1e9) <= z.max_lat
            and rules.in_zone(shape(z.geojson), _windows(z), lat, lng, at)]


def marks_at(lat, lng, at: Optional[dt.datetime]) -> list[Zone]:
    """The active zones that mark a point at a time (the case and tip pages show them)."""
    if lat is None or lng is None or at is None:
        return []
    candidates = db.session.scalars(select(Zone).where(
        Zone.is_active.is_(True), Zone.min_lat <= lat, Zone.max_lat >= lat,
        Zone.min_lng <= lng, Zone.max_lng >= lng).order_by(Zone.name)).all()
    return zones_of(lat, lng, at, list(candidates))


def monthly_counts(zone: Zone, *, months: int, today: dt.date, actor=None) -> list[tuple]:
    """(YYYY-MM, cases marked) for the last ``months`` months, oldest first."""
    first = dt.date(today.year, today.month, 1)
    starts = []
    for _ in range(months):
        starts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    starts.reverse()
    since = dt.datetime.combine(starts[0], dt.time(), rules.LOCAL)
    counts = {s.strftime("%Y-%m"): 0 for s in starts}
    for case in marked(Case, zone, since=since, actor=actor):
        key = case.occurred_at.astimezone(rules.LOCAL).strftime("%Y-%m")
        if key in counts:
            counts[key] += 1
    return list(counts.items())
