"""The API's case list as plain rows: one keyset statement for the page (unit and violation
codes joined) and one ``IN`` statement each for officers, vehicles and parties — a fixed number
of statements per page, no objects. The view and its WSGI fast path (core/fastpath.py) both
call :func:`api_page`, and the list schema (``schemas.CaseRowOut``) passes its values through,
so both answer the same JSON.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Optional

from sqlalchemy import Integer, String, bindparam, select, type_coerce
from sqlalchemy.orm import aliased

from core import database, scoping
from core.models import Unit, User
from core.pagination import clamp_limit, decode_cursor, encode_cursor
from core.prepared import Prepared
from enforcement.cases import queries
from enforcement.cases.models import Case, CaseOfficer, CaseParty, CaseStatus, CaseVehicle
from enforcement.people.models import Person, Vehicle
from enforcement.violations.models import ViolationType

_UNIT = aliased(Unit)  # the unit filter's sub-selects keep the plain Unit to themselves
KEYS = ("id", "number", "unit", "status", "origin", "occurred_at", "address", "lat", "lng",
        "violation", "tier", "proposed_fine", "fine_amount", "is_penalty_flagged")


def _value(column):
    """An enum column read as the value it stores (``str_enum``), without building members."""
    return type_coerce(column, String)


_COLUMNS = (Case.id, Case.number, _UNIT.code, _value(Case.status), _value(Case.origin),
            Case.occurred_at, Case.address, Case.lat, Case.lng, ViolationType.code,
            _value(Case.tier), Case.proposed_fine, Case.fine_amount, Case.is_penalty_flagged)


def _money(value) -> Optional[str]:
    return None if value is None else format(value, "f")


def _row(row) -> dict:
    item = dict(zip(KEYS, row))
    item["occurred_at"] = item["occurred_at"].isoformat()
    item["proposed_fine"] = _money(item["proposed_fine"])
    item["fine_amount"] = _money(item["fine_amount"])
    item["officers"], item["vehicles"], item["parties"] = [], [], []
    return item


@functools.lru_cache(maxsize=256)
def _page_statement(dialect, key, f: queries.CaseFilter) -> Prepared:
    """The page statement of one scope and filter, prepared once (``:after`` and ``:limit``
    bound per page): building it costs more than running it."""
    return Prepared(queries.cases_in_scope_for(key, f).with_only_columns(*_COLUMNS)
                    .join(_UNIT, _UNIT.id == Case.unit_id)
                    .outerjoin(ViolationType, ViolationType.id == Case.violation_type_id)
                    .where(Case.id > bindparam("after")).order_by(Case.id)
                    .limit(bindparam("limit")), dialect)


@functools.lru_cache(maxsize=4)
def _related_statements(dialect) -> tuple[Prepared, Prepared, Prepared]:
    """Officers, vehicles and parties of a page's cases, the ids bound as one array."""
    def of(column):
        return database.in_array(column, "ids", dialect.name, Integer)

    return tuple(Prepared(stmt, dialect) for stmt in (
        select(CaseOfficer.case_id, User.username).join(User, User.id == CaseOfficer.user_id)
        .where(of(CaseOfficer.case_id)).order_by(CaseOfficer.id),
        select(CaseVehicle.case_id, Vehicle.plate, _value(Vehicle.plate_colour),
               CaseVehicle.is_fake_plate).join(Vehicle, Vehicle.id == CaseVehicle.vehicle_id)
        .where(of(CaseVehicle.case_id)).order_by(CaseVehicle.id),
        select(CaseParty.case_id, Person.name, _value(CaseParty.role), Person.id_number)
        .join(Person, Person.id == CaseParty.person_id)
        .where(of(CaseParty.case_id)).order_by(CaseParty.id)))


def api_page(conn, actor, f: queries.CaseFilter, cursor: Optional[str],
             limit: Optional[int]) -> dict:
    """``{"items", "next_cursor"}``: the cases in scope after ``cursor``, ``limit`` of them."""
    limit = clamp_limit(limit)
    after = decode_cursor(cursor)
    dialect = conn.dialect
    rows = _page_statement(dialect, scoping.scope_key(actor), f).rows(
        conn, {"after": after, "limit": limit + 1})
    items = [_row(r) for r in rows[:limit]]
    by_id = {item["id"]: item for item in items}
    if by_id:
        ids = {"ids": database.array_value(dialect.name, by_id)}
        officers, vehicles, parties = _related_statements(dialect)
        for case_id, username in officers.rows(conn, ids):
            by_id[case_id]["officers"].append(username)
        for case_id, plate, colour, fake in vehicles.rows(conn, ids):
            by_id[case_id]["vehicles"].append({"plate": plate, "plate_colour": colour,
                                               "is_fake_plate": fake})
        for case_id, name, role, id_number in parties.rows(conn, ids):
            by_id[case_id]["parties"].append({"name": name, "role": role,
                                              "id_number": id_number})
    return {"items": items,
            "next_cursor": encode_cursor(items[-1]["id"]) if len(rows) > limit else None}


_DIGITS = re.compile(r"^[0-9]{1,18}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TEXT = ("cursor", "unit", "plate", "violation")


def plain_filter(args: dict) -> Optional[tuple[queries.CaseFilter, Optional[str], Optional[int]]]:
    """The view's query arguments read from ``{name: [values]}`` when every one is plainly
    valid — (filter, cursor, limit) — else None, and the view's schema answers."""
    if any(len(values) != 1 for values in args.values()):
        return None
    one = {k: v[0] for k, v in args.items()}
    known = set(_TEXT) | {"limit", "status", "officer", "from", "to"}
    if not set(one) <= known:
        return None
    for key in ("limit", "officer"):
        if key in one and not _DIGITS.match(one[key]):
            return None
    if "status" in one and one["status"] not in CaseStatus._value2member_map_:
        return None
    dates = {}
    for key in ("from", "to"):
        if key in one:
            if not _DATE.match(one[key]):
                return None
            try:
                dates[key] = dt.date.fromisoformat(one[key])
            except ValueError:
                return None
    f = queries.CaseFilter(unit=one.get("unit"), status=one.get("status"),
                           plate=one.get("plate"), violation=one.get("violation"),
                           officer_id=int(one["officer"]) if "officer" in one else None,
                           date_from=dates.get("from"), date_to=dates.get("to"))
    return f, one.get("cursor"), int(one["limit"]) if "limit" in one else None
