"""The rules a new case's input must pass, as pure functions over loaded data.

:func:`enforcement.cases.services.create_case` and the bulk import
(:mod:`enforcement.cases.import_rows`) both run them, in the same order, through
:func:`check_new_case`; only the look-ups differ (a query per row in the service, one per
batch in the import). What a new case writes besides is here too, for both to write alike.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from core import scoping
from core.base import local_today
from core.errors import DomainError
from core.models import Unit, User
from core.roles import Role
from enforcement.cases.models import CaseOrigin, CaseStatus, PartyRole
from enforcement.people import services as people
from enforcement.violations.models import ViolationType

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass
class VehicleInput:
    plate: str
    plate_colour: Optional[str] = None
    kind: str = "car"
    make_model: Optional[str] = None
    colour: Optional[str] = None
    vin: Optional[str] = None
    is_fake_plate: bool = False


@dataclass
class PartyInput:
    name: str
    role: str = "driver"
    id_number: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None


@dataclass
class CaseInput:
    origin: str
    occurred_at: dt.datetime
    address: str
    officer_ids: list[int] = field(default_factory=list)
    violation_code: Optional[str] = None
    origin_ref: Optional[str] = None
    lat: Optional[float] = None
    lng: Optional[float] = None
    facts: str = ""
    documents_detained: Optional[str] = None
    vehicles: list[VehicleInput] = field(default_factory=list)
    parties: list[PartyInput] = field(default_factory=list)


OPENING_ROLES = (Role.officer, Role.unit_leader)  # who opens cases and works on them


@dataclass
class CheckedCase:
    """A new case's input after every check of :func:`check_new_case`: what gets written."""

    violation: Optional[ViolationType]
    officers: list[User]
    vehicles: list[tuple[people.VehicleValues, bool]]  # (values, is_fake_plate), as given
    parties: list[tuple[people.PersonValues, PartyRole]]


def pick_violation(code: Optional[str], find: Callable[[str], Optional[ViolationType]]) \
        -> Optional[ViolationType]:
    """The violation type a case names (``find`` looks up an active one by its code)."""
    if not code:
        return None
    vt = find(code.strip())
    if vt is None:
        raise DomainError(_l("Unknown violation code %(code)s.", code=code), field="violation_code")
    return vt


def check_officers(actor, ids: list[int], get_user: Callable[[int], Optional[User]]) \
        -> list[User]:
    """The chosen officers, each once: active officers (or leaders) the actor can see."""
    users = []
    for user_id in dict.fromkeys(ids):
        user = get_user(user_id)
        if user is None or not scoping.can_see_unit(actor, user.unit) or \
                user.role not in OPENING_ROLES or not user.is_active:
            raise DomainError(_l("Choose officers of your own unit."), field="officer_ids")
        users.append(user)
    return users


def check_place_and_time(data: CaseInput, now: dt.datetime) -> None:
    """When, where and how the case was found (makes ``data.occurred_at`` aware)."""
    if data.occurred_at.tzinfo is None:
        data.occurred_at = data.occurred_at.replace(tzinfo=LOCAL)
    if data.occurred_at > now + dt.timedelta(minutes=5):
        raise DomainError(_l("The time it happened cannot be in the future."), field="occurred_at")
    if data.occurred_at.year < 2000:
        raise DomainError(_l("The time it happened is not plausible."), field="occurred_at")
    if not (data.address or "").strip():
        raise DomainError(_l("Enter where it happened."), field="address")
    if (data.lat is None) != (data.lng is None):
        raise DomainError(_l("Give both latitude and longitude, or neither."), field="lat")
    if data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lng <= 180):
        raise DomainError(_l("The map point is outside the valid range."), field="lat")
    try:
        CaseOrigin(data.origin)
    except ValueError:
        raise DomainError(_l("Choose how the case was found."), field="origin") from None


def check_links(data: CaseInput) -> tuple[list[tuple[people.VehicleValues, bool]],
                                          list[tuple[people.PersonValues, PartyRole]]]:
    """The case's vehicles and parties, validated (registry rules) but not yet looked up."""
    vehicles = [(people.vehicle_values(v, index=i), v.is_fake_plate)
                for i, v in enumerate(data.vehicles)]
    parties = []
    for i, p in enumerate(data.parties):
        try:
            role = PartyRole(p.role)
        except ValueError:
            raise DomainError(_l("Choose the party's role."), field=f"parties.{i}.role") from None
        parties.append((people.person_values(p, index=i), role))
    return vehicles, parties


def distinct_links(pairs: list[tuple], key: Callable[[tuple], object] = lambda p: p) \
        -> list[tuple]:
    """A case's links named twice count once (at the first place, with the last details)."""
    return list({key(pair): pair for pair in pairs}.values())


def check_new_case(*, actor, unit: Unit, data: CaseInput, now: dt.datetime,
                   find_violation: Callable[[str], Optional[ViolationType]],
                   get_user: Callable[[int], Optional[User]]) -> CheckedCase:
    """Every rule a new case must pass, in order, before anything is written (DomainError on
    the first one broken). ``find_violation`` finds an active violation type by its code,
    ``get_user`` a user by id (None if unknown)."""
    if actor.role not in OPENING_ROLES:
        raise DomainError(_l("Only officers open cases."), field="unit_id")
    if not scoping.can_see_unit(actor, unit):
        raise DomainError(_l("Choose a unit within your area."), field="unit_id")
    check_place_and_time(data, now)
    violation = pick_violation(data.violation_code, find_violation)
    officers = check_officers(actor, data.officer_ids or [actor.id], get_user)
    vehicles, parties = check_links(data)
    return CheckedCase(violation=violation, officers=officers, vehicles=vehicles,
                       parties=parties)


def new_case_values(*, actor, unit: Unit, data: CaseInput, checked: CheckedCase) -> dict:
    """The columns of a new draft case besides its number (which :func:`issue_number` gives)."""
    return {"unit_id": unit.id, "status": CaseStatus.draft, "origin": CaseOrigin(data.origin),
            "origin_ref": data.origin_ref, "occurred_at": data.occurred_at,
            "address": data.address.strip(), "lat": data.lat, "lng": data.lng,
            "violation_type_id": checked.violation.id if checked.violation else None,
            "facts": data.facts or "", "documents_detained": data.documents_detained,
            "created_by_id": actor.id}


def case_year(now: dt.datetime) -> int:
    """The year a case opened at ``now`` is numbered in."""
    return local_today(now).year


CREATE_ACTION = "create"


def created_step_data(number: str) -> dict:
    """What the step recording a new case keeps."""
    return {"number": number}


def step_audit(action: str, source: CaseStatus, target: CaseStatus, number: str) -> dict:
    """What the audit log keeps of a step of a case (:func:`core.audit.record`'s arguments
    besides the actor and the case's id and unit)."""
    return {"action": f"case.{action}", "object_type": "case",
            "detail": {"from": source.value, "to": target.value, "number": number}}
