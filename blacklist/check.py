"""Plate and ID-number checks: messy input in, the listed entries and near matches out.

One statement answers a plate check: the entries of the plate itself through the (plate, status)
index, and the candidates for near matches through the deletion keys of ``plate_keys`` (about 9
index probes), which Python then confirms as one edit away. A check stays well under a
millisecond of SQL with 50,000 entries and needs no cache that could go stale.
"""
from __future__ import annotations

import functools
from typing import Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, select, union_all

from blacklist import plate_keys, queries
from blacklist.models import BlacklistEntry, PlateKey
from core import database, identity, plates, scoping, settings
from core.errors import DomainError
from core.prepared import Prepared
from extensions import db

settings.define("blacklist.check_max_chars", 40, "longest input a plate or ID check accepts",
                minimum=1)
settings.define("blacklist.check_near_match_limit", 10, "near matches a check reports",
                minimum=0)

MAX_PLATE_LENGTH = 12  # the plate format's own limit (domain §3.5), not a setting


@functools.lru_cache(maxsize=1024)
def _statement(dialect, key) -> Prepared:
    """The check's one statement for a scope (``scoping.scope_key``): every visible active
    entry whose plate is ``:plate`` or shares one of the deletion keys ``:keys``, prepared once
    per scope — building a statement costs more than running it. One ``IN`` over both keeps
    SQLite on the (plate, status) index; the exact match never depends on the key table."""
    sharing = select(PlateKey.plate).where(
        database.in_array(PlateKey.key, "keys", dialect.name))
    plates_sought = union_all(select(bindparam("plate", type_=String)), sharing)
    return Prepared(queries.active_brief(key, BlacklistEntry.plate.in_(plates_sought)), dialect)


def clean_input(raw: Optional[str], field: str, cfg: Optional[dict] = None) -> str:
    cfg = cfg or settings.get_many("blacklist.check")
    text = raw or ""
    if not text.strip():
        raise DomainError(_l("Enter a plate number or an ID number."), field=field)
    if len(text) > cfg["_max_chars"]:
        raise DomainError(_l("The input is too long."), field=field)
    return text


def entry_brief(entry: BlacklistEntry) -> dict:
    """What a check answers about an entry (staff and systems only; never public)."""
    return {"id": entry.uid, "entry_id": entry.id, "list": entry.list_kind.value,
            "subject": entry.subject_kind.value, "status": entry.status.value,
            "plate": entry.plate, "name": entry.person_name, "id_no": entry.id_number,
            "rule": entry.rule_code, "serious": entry.is_serious,
            "starts_on": entry.starts_on.isoformat() if entry.starts_on else None,
            "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
            "unit": entry.unit.code}


_BRIEF_KEYS = ("id", "entry_id", "list", "subject", "status", "plate", "name", "id_no", "rule",
               "serious", "starts_on", "ends_on", "unit")
_PLATE = _BRIEF_KEYS.index("plate")


def _brief_of_row(row) -> dict:
    """:func:`entry_brief` of a row of :func:`queries.active_brief`."""
    out = dict(zip(_BRIEF_KEYS, row))
    for key in ("list", "subject", "status"):
        out[key] = out[key].value
    for key in ("starts_on", "ends_on"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


def _plate_of(raw: Optional[str], cfg: dict) -> str:
    plate = plates.normalise_plate(clean_input(raw, "plate", cfg))
    if not plate:
        raise DomainError(_l("Enter a plate number."), field="plate")
    return plate


def _looks_near(plate: str, limit: int) -> bool:
    """Near matches are wanted (``limit``) and the input is plate-sized: no plate is longer
    than 12 characters."""
    return bool(limit) and len(plate) <= MAX_PLATE_LENGTH


def _matching_rows(conn, actor, plate: str, limit: int) -> tuple[list, list[str]]:
    """The rows of :func:`queries.active_brief` for ``plate`` itself, and up to ``limit``
    visible active plates one edit away (same length first): one statement on ``conn``."""
    keys = plate_keys.deletion_keys(plate) if _looks_near(plate, limit) else ()
    exact, near = [], set()
    statement = _statement(conn.dialect, scoping.scope_key(actor))
    for row in statement.rows(conn, {"plate": plate,
                                     "keys": database.array_value(conn.dialect.name, keys)}):
        if row[_PLATE] == plate:
            exact.append(row)
        elif plate_keys.is_one_off(plate, row[_PLATE]):
            near.add(row[_PLATE])
    return exact, sorted(near, key=lambda p: (len(p) != len(plate), p))[:limit]


def check_plate(actor, raw: Optional[str]) -> dict:
    """``{"query", "listed", "entries", "near_matches"}`` for a typed plate (entries as
    objects, for the quick-check page)."""
    cfg = settings.get_many("blacklist.check")  # one query for both settings
    plate = _plate_of(raw, cfg)
    entries = db.session.scalars(queries.active_by_plate(actor, plate)).all()
    _exact, near = _matching_rows(db.session.connection(), actor, plate,
                                  cfg["_near_match_limit"])
    return {"query": plate, "listed": bool(entries), "entries": entries, "near_matches": near}


def plate_answer(conn, actor, raw: Optional[str]) -> dict:
    """The API's answer for a typed plate in ONE statement on ``conn`` (the API view and its
    WSGI fast path both call this): the entries of the plate itself, as :func:`entry_brief`
    dictionaries, and the near matches."""
    cfg = settings.get_many("blacklist.check", conn=conn,
                            max_age=current_app.config["SETTINGS_CACHE_SECONDS"])
    plate = _plate_of(raw, cfg)
    exact, near = _matching_rows(conn, actor, plate, cfg["_near_match_limit"])
    return {"query": plate, "listed": bool(exact), "entries": [_brief_of_row(r) for r in exact],
            "near_matches": near}


def check_id_number(actor, raw: Optional[str]) -> dict:
    text = clean_input(raw, "id_no")
    id_no = identity.normalise_id_number(text)
    entries = db.session.scalars(queries.active_by_id_number(actor, id_no)).all()
    return {"query": id_no, "listed": bool(entries), "entries": entries, "near_matches": []}
