"""The one scoping mechanism: every read or write of unit-owned data is restricted here.

A user sees the data of its own unit and the units below it (the materialised ``path`` prefix);
city-wide roles (the auditor) see everything. Queries take a ``select()`` and the column that holds
the owning unit id; objects are fetched with :func:`get_or_404`, which answers 404 (not 403) for
another unit's object so that its existence is not revealed.
"""
from __future__ import annotations

from typing import TypeVar

from flask import abort
from sqlalchemy import Select, select, true
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Unit
from core.roles import CITYWIDE
from extensions import db

T = TypeVar("T")


def is_citywide(actor) -> bool:
    return actor.role in CITYWIDE or actor.unit.parent_id is None


def subtree_ids(actor) -> Select:
    """A sub-select of the ids of the units the actor may see."""
    return _subtree_of(scope_key(actor))


def _subtree_of(key: str | None) -> Select:
    if key is None:
        return select(Unit.id)
    return select(Unit.id).where(Unit.path.startswith(key, autoescape=True))


def unit_condition(actor, unit_column: InstrumentedAttribute):
    """The WHERE condition restricting ``unit_column`` to the actor's subtree."""
    return condition_for(scope_key(actor), unit_column)


def scope_key(actor) -> str | None:
    """All that scoping reads of an actor: None when city-wide, else its unit's path (a key
    for statements built once per scope and reused, see ``blacklist.check``)."""
    return None if is_citywide(actor) else actor.unit.path


def condition_for(key: str | None, unit_column: InstrumentedAttribute):
    """:func:`unit_condition` of the actor whose :func:`scope_key` is ``key``."""
    if key is None:
        return true()
    return unit_column.in_(_subtree_of(key))


def scoped(stmt: Select, actor, unit_column: InstrumentedAttribute) -> Select:
    """Restrict ``stmt`` to rows whose ``unit_column`` lies in the actor's subtree."""
    return stmt.where(unit_condition(actor, unit_column))


def unit_of(obj) -> int | None:
    """The owning unit id of a unit-owned object (a Unit owns itself; a child object, such as an
    evidence file, belongs to the unit of its parent named by ``__scope_parent__``)."""
    if isinstance(obj, Unit):
        return obj.id
    parent = getattr(type(obj), "__scope_parent__", None)
    if parent is not None:
        return unit_of(getattr(obj, parent))
    return getattr(obj, obj.__unit_column__)


def can_see_unit(actor, unit: Unit) -> bool:
    return is_citywide(actor) or unit.is_within(actor.unit)


def in_scope(actor, obj) -> bool:
    if getattr(type(obj), "__shared__", False):  # reference data every unit uses
        return True
    shared = getattr(type(obj), "__scope_check__", None)
    if shared is not None:  # registry records (persons, vehicles): visible through their cases
        return is_citywide(actor) or shared(actor, obj)
    unit_id = unit_of(obj)
    if unit_id is None:
        return is_citywide(actor)
    unit = obj if isinstance(obj, Unit) else db.session.get(Unit, unit_id)
    return unit is not None and can_see_unit(actor, unit)


def get_or_404(model: type[T], ident, actor, *, by: str | None = None) -> T:
    """Load ``model`` by primary key (or by the column ``by``) if the actor may see it; 404
    otherwise, so that another unit's object is indistinguishable from a missing one."""
    try:
        if by is None:
            obj = db.session.get(model, ident)
        else:
            obj = db.session.scalar(select(model).where(getattr(model, by) == ident))
    except (ValueError, TypeError):
        obj = None
    if obj is None or not in_scope(actor, obj):
        abort(404)
    return obj


def require_unit_in_scope(actor, unit_id: int) -> Unit:
    """For writes that name a unit: the unit must exist and lie in the actor's subtree."""
    return get_or_404(Unit, unit_id, actor)
