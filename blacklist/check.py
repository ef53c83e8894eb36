"""Plate and ID-number checks: messy input in, the listed entries and near matches out.

Both the exact match and the near matches use the index on the normalised plate: the plates one
character off (substitution, insertion or deletion, within the characters plates use, domain §3.5)
are generated in Python — a few hundred strings — and looked up with one ``IN`` query, so a check
stays around a millisecond with 50,000 entries and needs no cache that could go stale.
"""
from __future__ import annotations

import json
from typing import Optional

from flask_babel import lazy_gettext as _l
from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, func, select

from blacklist import queries
from blacklist.models import ACTIVE, BlacklistEntry
from core import identity, plates, settings
from core.errors import DomainError
from extensions import db

settings.define("blacklist.check_max_chars", 40, "longest input a plate or ID check accepts",
                minimum=1)
settings.define("blacklist.check_near_match_limit", 10, "near matches a check reports",
                minimum=0)

_FIRST = sorted(plates.PROVINCES | {plates.EMBASSY_CHAR})
_SECOND = sorted(plates.AUTHORITY_LETTERS | set("0123456789"))
_REST = sorted(plates.SERIAL_CHARS | set(plates.SUFFIX_KINDS))


def _alphabet(position: int) -> list[str]:
    return _FIRST if position == 0 else _SECOND if position == 1 else _REST


def one_off_variants(plate: str) -> set[str]:
    """Every string one substitution, insertion or deletion away from ``plate`` using only the
    characters a plate may have at that position (pure)."""
    out: set[str] = set()
    for i in range(len(plate)):
        out.add(plate[:i] + plate[i + 1:])
        for ch in _alphabet(i):
            out.add(plate[:i] + ch + plate[i + 1:])
    for i in range(len(plate) + 1):
        for ch in _alphabet(i):
            out.add(plate[:i] + ch + plate[i:])
    out.discard(plate)
    return {v for v in out if v and Levenshtein.distance(v, plate) == 1}


def _one_of(column, values: list[str]):
    """``column IN values`` with the few hundred values as ONE bound parameter: a JSON array
    read by ``json_each`` on SQLite (the statement is compiled and cached once, and the index
    is still used), an expanding parameter elsewhere."""
    if db.session.get_bind().dialect.name == "sqlite":
        listed = func.json_each(json.dumps(values, ensure_ascii=False)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column.in_(bindparam("variants", values, expanding=True))


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


def check_plate(actor, raw: Optional[str]) -> dict:
    """``{"query", "listed", "entries", "near_matches"}`` for a typed plate."""
    cfg = settings.get_many("blacklist.check")  # one query for both settings
    plate = plates.normalise_plate(clean_input(raw, "plate", cfg))
    if not plate:
        raise DomainError(_l("Enter a plate number."), field="plate")
    entries = db.session.scalars(queries.active_by_plate(actor, plate)).all()
    limit = cfg["_near_match_limit"]
    near: list[str] = []
    if limit and len(plate) <= 12:
        found = set(db.session.scalars(select(BlacklistEntry.plate).where(
            _one_of(BlacklistEntry.plate, sorted(one_off_variants(plate))),
            BlacklistEntry.status.in_(ACTIVE), queries.entry_visible(actor))))
        near = sorted(found, key=lambda p: (len(p) != len(plate), p))[:limit]
    return {"query": plate, "listed": bool(entries), "entries": entries, "near_matches": near}


def check_id_number(actor, raw: Optional[str]) -> dict:
    text = clean_input(raw, "id_no")
    id_no = identity.normalise_id_number(text)
    entries = db.session.scalars(queries.active_by_id_number(actor, id_no)).all()
    return {"query": id_no, "listed": bool(entries), "entries": entries, "near_matches": []}
