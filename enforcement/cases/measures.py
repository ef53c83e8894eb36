"""Measures and files of a case: detentions, suspensions, evidence uploads."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l

from core import settings, storage
from core.errors import ConflictError, DomainError
from core.roles import Role
from enforcement.cases import clocks
from enforcement.cases.models import Case, Detention, Evidence, Suspension
from enforcement.cases.services import _step, today_local
from extensions import db

ACTORS = (Role.officer, Role.unit_leader)


def _require(case: Case, actor) -> None:
    if actor.role not in ACTORS:
        raise DomainError(_l("Only officers and unit leaders handle cases."), field="case")
    if not case.is_open:
        raise ConflictError(_l("The case is finished."))


def _check_day(day: dt.date, field: str, not_before: Optional[dt.date] = None) -> None:
    if day > today_local():
        raise DomainError(_l("The date cannot be in the future."), field=field)
    if not_before is not None and day < not_before:
        raise DomainError(_l("The date is before the event it follows."), field=field)


def detain(case: Case, *, actor, vehicle_id: int, detained_on: dt.date, storage_lot: str):
    """Record a vehicle detained (暂扣): its 30-day clock starts the next day."""
    _require(case, actor)
    if vehicle_id not in {v.vehicle_id for v in case.vehicles}:
        raise DomainError(_l("Choose a vehicle of this case."), field="vehicle_id")
    if any(d.vehicle_id == vehicle_id and d.released_on is None for d in case.detentions):
        raise ConflictError(_l("This vehicle is already detained."))
    _check_day(detained_on, "detained_on", case.occurred_at.date() - dt.timedelta(days=1))
    if not (storage_lot or "").strip():
        raise DomainError(_l("Enter the storage lot."), field="storage_lot")
    detention = Detention(vehicle_id=vehicle_id, detained_on=detained_on,
                          storage_lot=storage_lot.strip())
    case.detentions.append(detention)
    db.session.flush()
    _step(case, actor, "detain", case.status, case.status, "",
          {"vehicle_id": vehicle_id, "detained_on": str(detained_on)})
    clocks.recompute(case)
    return detention


def _detention(case: Case, detention_id: int) -> Detention:
    detention = next((d for d in case.detentions if d.id == detention_id), None)
    if detention is None:
        raise DomainError(_l("Unknown detention."), field="detention_id")
    return detention


def extend_detention(case: Case, *, actor, detention_id: int, note: str) -> Detention:
    """The one 30-day extension, approved by the unit leader."""
    if actor.role is not Role.unit_leader:
        raise DomainError(_l("Only the unit leader approves an extension."), field="detention_id")
    _require(case, actor)
    detention = _detention(case, detention_id)
    if detention.extended_on is not None or detention.released_on is not None:
        raise ConflictError(_l("This detention was already extended or has ended."))
    detention.extended_on = today_local()
    _step(case, actor, "extend_detention", case.status, case.status, note,
          {"detention_id": detention_id})
    clocks.recompute(case)
    return detention


def release(case: Case, *, actor, detention_id: int, released_on: dt.date) -> Detention:
    _require(case, actor)
    detention = _detention(case, detention_id)
    if detention.released_on is not None:
        raise ConflictError(_l("This vehicle was already released."))
    _check_day(released_on, "released_on", detention.detained_on)
    detention.released_on = released_on
    _step(case, actor, "release", case.status, case.status, "",
          {"detention_id": detention_id, "released_on": str(released_on)})
    clocks.recompute(case)
    return detention


def suspend(case: Case, *, actor, reason: str, start_on: dt.date) -> Suspension:
    """Stop the decision clock (e.g. a hearing); it moves by the suspended days."""
    _require(case, actor)
    if case.registered_on is None:
        raise ConflictError(_l("Only a registered case can be suspended."))
    if any(s.end_on is None for s in case.suspensions):
        raise ConflictError(_l("The case is already suspended."))
    if not (reason or "").strip():
        raise DomainError(_l("Give the reason."), field="reason")
    _check_day(start_on, "start_on", case.registered_on)
    suspension = Suspension(reason=reason.strip(), start_on=start_on)
    case.suspensions.append(suspension)
    db.session.flush()
    _step(case, actor, "suspend", case.status, case.status, reason, {"start_on": str(start_on)})
    clocks.recompute(case)
    return suspension


def resume(case: Case, *, actor, end_on: dt.date) -> Suspension:
    _require(case, actor)
    suspension = next((s for s in case.suspensions if s.end_on is None), None)
    if suspension is None:
        raise ConflictError(_l("The case is not suspended."))
    _check_day(end_on, "end_on", suspension.start_on)
    suspension.end_on = end_on
    _step(case, actor, "resume", case.status, case.status, "", {"end_on": str(end_on)})
    clocks.recompute(case)
    return suspension


def add_evidence(case: Case, *, actor, stream, original_name: str,
                 description: str = "") -> Evidence:
    """Store an evidence file unchanged (type from content, SHA-256 recorded)."""
    if actor.role not in ACTORS:
        raise DomainError(_l("Only officers and unit leaders add evidence."), field="file")
    max_bytes = settings.get("evidence.max_upload_mb") * 1024 * 1024
    stored = storage.save_upload("evidence", stream, max_bytes=max_bytes)
    evidence = Evidence(case_id=case.id, original_name=(original_name or "file")[:200],
                        stored_name=stored.stored_name, sha256=stored.sha256, size=stored.size,
                        mime=stored.mime, kind=stored.kind, description=(description or "")[:200],
                        uploaded_by_id=actor.id)
    db.session.add(evidence)
    db.session.flush()
    _step(case, actor, "add_evidence", case.status, case.status, "",
          {"evidence_id": evidence.id, "sha256": stored.sha256, "size": stored.size})
    return evidence
