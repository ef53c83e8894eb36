"""Services for units and users: every input explicit, ``actor`` included; flush, never commit."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit, scoping, security
from core.base import utcnow
from core.errors import DomainError
from core.geo import boundary_error, invalidate_unit_shapes
from core.models import Department, Unit, UnitKind, User
from core.roles import ASSIGNABLE, MANAGERS, Role
from extensions import db

# Which kinds of unit may sit under which (departmental units sit under any area unit).
ALLOWED_PARENT_KINDS = {
    UnitKind.city: set(),
    UnitKind.district: {UnitKind.city},
    UnitKind.county: {UnitKind.city},
    UnitKind.town: {UnitKind.district, UnitKind.county},
    UnitKind.street: {UnitKind.district, UnitKind.county},
    UnitKind.department: {UnitKind.city, UnitKind.district, UnitKind.county, UnitKind.town,
                          UnitKind.street},
}


def _required_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Enter a name."), field="name")
    return name


def _set_path(unit: Unit) -> None:
    parent = unit.parent
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = parent.depth + 1 if parent else 0


def create_unit(
    *, actor, code: str, name: str, kind: UnitKind, parent: Optional[Unit],
    department: Department = Department.government, boundary_geojson: Optional[dict] = None,
) -> Unit:
    """Create a unit under ``parent`` (which must be in the actor's scope)."""
    kind = UnitKind(kind)
    department = Department(department)
    if actor is not None and (parent is None or not scoping.can_see_unit(actor, parent)):
        raise DomainError(_l("Choose a parent unit within your area."), field="parent_id")
    if parent is None and kind is not UnitKind.city:
        raise DomainError(_l("Only a city has no parent unit."), field="parent_id")
    if parent is not None and parent.kind not in ALLOWED_PARENT_KINDS[kind]:
        raise DomainError(_l("This kind of unit cannot be placed under that parent."),
                          field="parent_id")
    if (kind is UnitKind.department) != (department is not Department.government):
        raise DomainError(_l("Departmental units need a department; area units have none."),
                          field="department")
    name = _required_name(name)
    code = code.strip().upper()
    if db.session.scalar(select(Unit.id).where(Unit.code == code)):
        raise DomainError(_l("Unit code %(code)s is already used.", code=code), field="code")
    if boundary_geojson is not None and (msg := boundary_error(boundary_geojson)):
        raise DomainError(msg, field="boundary_geojson")
    unit = Unit(code=code, name=name, kind=kind, department=department, parent=parent,
                boundary_geojson=boundary_geojson)
    db.session.add(unit)
    db.session.flush()
    _set_path(unit)
    audit.record("unit.create", actor=actor, object_type="unit", object_id=unit.id,
                 unit_id=unit.id, detail={"code": code, "name": unit.name})
    invalidate_unit_shapes()
    return unit


def update_unit(unit: Unit, *, actor, name: str, boundary_geojson: Optional[dict],
                is_active: bool) -> Unit:
    """Rename a unit, change its boundary or (de)activate it."""
    if boundary_geojson is not None and (msg := boundary_error(boundary_geojson)):
        raise DomainError(msg, field="boundary_geojson")
    name = _required_name(name)
    if not is_active and unit.id == actor.unit_id:
        raise DomainError(_l("You cannot deactivate your own unit."), field="is_active")
    changes = {}
    for attr, value in (("name", name), ("boundary_geojson", boundary_geojson),
                        ("is_active", is_active)):
        if getattr(unit, attr) != value:
            changes[attr] = value if attr != "boundary_geojson" else "changed"
            setattr(unit, attr, value)
    if changes:
        audit.record("unit.update", actor=actor, object_type="unit", object_id=unit.id,
                     unit_id=unit.id, detail=changes)
        invalidate_unit_shapes()
    return unit


def _check_assignment(actor, role: Role, unit: Unit) -> None:
    if actor is None:
        return
    if actor.role not in MANAGERS or role not in ASSIGNABLE[actor.role]:
        raise DomainError(_l("You may not assign this role."), field="role")
    if not scoping.can_see_unit(actor, unit):
        raise DomainError(_l("Choose a unit within your area."), field="unit_id")


def create_user(
    *, actor, username: str, full_name: str, role: Role, unit: Unit, password: str,
    phone: Optional[str] = None, cert_no: Optional[str] = None,
    cert_expires_on: Optional[dt.date] = None,
) -> User:
    """Create a staff account; the password must pass the password rule."""
    role = Role(role)
    username = username.strip().lower()
    _check_assignment(actor, role, unit)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise DomainError(_l("User name %(name)s is already taken.", name=username),
                          field="username")
    if bool(cert_no) != bool(cert_expires_on):
        raise DomainError(_l("Give both the certificate number and its expiry date."),
                          field="cert_expires_on")
    security.check_password_rule(password, username=username)
    user = User(username=username, full_name=full_name.strip(), role=role, unit=unit,
                phone=phone or None, cert_no=cert_no or None, cert_expires_on=cert_expires_on,
                password_hash=security.hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor=actor, object_type="user", object_id=user.id,
                 unit_id=unit.id, detail={"username": username, "role": role.value})
    return user


def update_user(user: User, *, actor, full_name: str, role: Role, unit: Unit,
                phone: Optional[str], cert_no: Optional[str],
                cert_expires_on: Optional[dt.date]) -> User:
    """Change a user's details, role or unit (within what the actor may assign)."""
    role = Role(role)
    if role != user.role or unit.id != user.unit_id:
        _check_assignment(actor, role, unit)
    if user.id == actor.id and role != user.role:
        raise DomainError(_l("You cannot change your own role."), field="role")
    if bool(cert_no) != bool(cert_expires_on):
        raise DomainError(_l("Give both the certificate number and its expiry date."),
                          field="cert_expires_on")
    before = {"role": user.role.value, "unit_id": user.unit_id}
    user.full_name, user.role, user.unit = full_name.strip(), role, unit
    user.phone, user.cert_no, user.cert_expires_on = phone or None, cert_no or None, cert_expires_on
    audit.record("user.update", actor=actor, object_type="user", object_id=user.id,
                 unit_id=unit.id, detail={"before": before, "role": role.value,
                                          "unit_id": unit.id})
    return user


def set_user_active(user: User, *, actor, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions and API tokens at once."""
    if user.id == getattr(actor, "id", None):
        raise DomainError(_l("You cannot disable your own account."), field="is_active")
    if active == user.is_active:
        return user
    user.is_active = active
    user.disabled_at = None if active else utcnow()
    if not active:
        security.end_all_sessions(user, "disabled")
    audit.record("user.enable" if active else "user.disable", actor=actor, object_type="user",
                 object_id=user.id, unit_id=user.unit_id)
    return user


def reset_password(user: User, *, actor, password: str) -> User:
    """Set a new password (the rule applies) and end the user's other sessions."""
    security.set_password(user, password)
    if user.id != getattr(actor, "id", None):
        security.end_all_sessions(user, "password_reset")
    audit.record("user.password_reset", actor=actor, object_type="user", object_id=user.id,
                 unit_id=user.unit_id)
    return user


def issue_token(user: User, *, actor, name: str) -> str:
    """Create an API token for ``user``; returns the clear token (shown once)."""
    if not user.is_active:
        raise DomainError(_l("The account is disabled."), field="username")
    token, raw = security.create_token(user, name)
    audit.record("token.create", actor=actor, object_type="api_token", object_id=token.id,
                 unit_id=user.unit_id, detail={"user": user.username, "name": name})
    return raw
