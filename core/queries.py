"""Scoped ``select()`` statements for units, users and the audit log."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Select, or_, select

from core import scoping
from core.audit import AuditLog
from core.models import Unit, UnitKind, User
from core.roles import Role


def units_in_scope(actor, *, q: Optional[str] = None, kind: Optional[str] = None) -> Select:
    stmt = scoping.scoped(select(Unit), actor, Unit.id)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Unit.name.ilike(like), Unit.code.ilike(like)))
    if kind in UnitKind._value2member_map_:  # an unknown kind filters nothing
        stmt = stmt.where(Unit.kind == UnitKind(kind))
    return stmt.order_by(Unit.path)


def users_in_scope(actor, *, q: Optional[str] = None, role: Optional[str] = None) -> Select:
    stmt = scoping.scoped(select(User).join(User.unit), actor, User.unit_id)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.full_name.ilike(like)))
    if role and role in Role.__members__:
        stmt = stmt.where(User.role == Role(role))
    return stmt.order_by(Unit.path, User.username)


def audit_in_scope(actor, *, action: Optional[str] = None) -> Select:
    stmt = scoping.scoped(select(AuditLog), actor, AuditLog.unit_id)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action, autoescape=True))
    return stmt.order_by(AuditLog.seq.desc())
