"""Plate and ID-number checks: messy input in, the listed entries and near matches out.

The exact match uses the index on the normalised plate. Near matches (one character off, domain
§3.5) are found with rapidfuzz over an in-process list of the active plates, rebuilt only when
the event table has grown (one indexed ``max(id)`` per check tells).
"""
from __future__ import annotations

import threading
from typing import Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from blacklist import queries
from blacklist.models import ACTIVE, BlacklistEntry, EntryEvent
from core import identity, plates, settings
from core.errors import DomainError
from extensions import db

settings.define("blacklist.check_max_chars", 40, "longest input a plate or ID check accepts",
                minimum=1)
settings.define("blacklist.near_match_limit", 10, "near matches a check reports", minimum=0)

_cache_lock = threading.Lock()
_cache: dict = {"key": None, "plates": []}


def _active_plates() -> list[str]:
    """Distinct plates of active entries; cached per database and event count."""
    version = db.session.scalar(select(func.max(EntryEvent.id)))
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], version)
    with _cache_lock:
        if _cache["key"] == key:
            return _cache["plates"]
    found = sorted(set(db.session.scalars(select(BlacklistEntry.plate).where(
        BlacklistEntry.status.in_(ACTIVE), BlacklistEntry.plate.is_not(None)))))
    with _cache_lock:
        _cache.update(key=key, plates=found)
    return found


def clean_input(raw: Optional[str], field: str) -> str:
    text = raw or ""
    if not text.strip():
        raise DomainError(_l("Enter a plate number or an ID number."), field=field)
    if len(text) > settings.get("blacklist.check_max_chars"):
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
    plate = plates.normalise_plate(clean_input(raw, "plate"))
    if not plate:
        raise DomainError(_l("Enter a plate number."), field="plate")
    entries = db.session.scalars(queries.active_by_plate(actor, plate)).all()
    near = plates.near_matches(plate, _active_plates(),
                               limit=settings.get("blacklist.near_match_limit"))
    visible = []
    if near:
        visible_plates = set(db.session.scalars(
            select(BlacklistEntry.plate).where(BlacklistEntry.plate.in_(near),
                                               BlacklistEntry.status.in_(ACTIVE),
                                               queries.entry_visible(actor))))
        visible = [p for p in near if p in visible_plates]
    return {"query": plate, "listed": bool(entries), "entries": entries, "near_matches": visible}


def check_id_number(actor, raw: Optional[str]) -> dict:
    text = clean_input(raw, "id_no")
    id_no = identity.normalise_id_number(text)
    entries = db.session.scalars(queries.active_by_id_number(actor, id_no)).all()
    return {"query": id_no, "listed": bool(entries), "entries": entries, "near_matches": []}


def forget_plates() -> None:
    """Drop the cached plate list (an entry changed, or a transaction was rolled back)."""
    with _cache_lock:
        _cache.update(key=None, plates=[])
