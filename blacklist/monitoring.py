"""Monitoring (重点监控): a listed plate entered anywhere raises an alert (a :class:`Sighting`).

Cases and tips know nothing of the blacklist: a session ``after_flush`` listener watches new
tip plates and new case-vehicle links and records sightings with core inserts on the flush's own
connection, so they commit or roll back with the case or tip that carried the plate.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session

from blacklist.models import BlacklistEntry, Sighting, SightingSource
from blacklist.queries import is_active
from core import plates
from core.base import utcnow
from core.prepared import Prepared
from extensions import db

log = logging.getLogger(__name__)
_installed = False


_ACTIVE_ENTRIES = Prepared.cached(lambda: select(BlacklistEntry.id).where(
    BlacklistEntry.plate == bindparam("plate"), is_active()))
_INSERT = insert(Sighting)


def active_entry_ids(conn, plate: str) -> list[int]:
    """The ids of the active entries of ``plate``, read on ``conn``."""
    return [row[0] for row in _ACTIVE_ENTRIES.rows(conn, {"plate": plate})]


def sighting_rows(entry_ids: list[int], *, plate: str, source: SightingSource,
                  unit_id: Optional[int], source_id: Optional[int] = None,
                  user_id: Optional[int] = None, lat: Optional[float] = None,
                  lng: Optional[float] = None,
                  seen_at: Optional[dt.datetime] = None) -> list[dict]:
    """The sighting rows of ``plate``, one for each of its active entries ``entry_ids``."""
    if (lat is None) != (lng is None):
        lat = lng = None
    seen_at = seen_at or utcnow()
    return [{"entry_id": entry_id, "unit_id": unit_id, "plate": plate, "source": source,
             "source_id": source_id, "user_id": user_id, "seen_at": seen_at, "lat": lat,
             "lng": lng} for entry_id in entry_ids]


def record_sighting(*, connection=None, **sighting) -> list[int]:
    """Record a sighting for every active entry of a plate (the keywords of
    :func:`sighting_rows`) on ``connection`` or the session's; returns the entry ids hit."""
    conn = connection or db.session.connection()
    entry_ids = active_entry_ids(conn, sighting["plate"])
    if entry_ids:
        conn.execute(_INSERT, sighting_rows(entry_ids, **sighting))
    return entry_ids


def _new_plates(session: Session):
    """(plate, source, source id, unit id, user id, lat, lng) for the new plates of a flush."""
    from enforcement.cases.models import Case, CaseVehicle
    from enforcement.people.models import Vehicle
    from enforcement.tips.models import Tip, TipPlate

    conn = session.connection()
    for obj in list(session.new):
        if isinstance(obj, TipPlate):
            tip = obj.tip if "tip" in obj.__dict__ else None
            if tip is None:
                row = conn.execute(select(Tip.id, Tip.unit_id, Tip.lat, Tip.lng, Tip.created_by_id)
                                   .where(Tip.id == obj.tip_id)).first()
                if row is None:
                    continue
                tip_id, unit_id, lat, lng, user_id = row
            else:
                tip_id, unit_id, lat, lng, user_id = (tip.id, tip.unit_id, tip.lat, tip.lng,
                                                      tip.created_by_id)
            yield (plates.normalise_plate(obj.plate or ""), SightingSource.tip, tip_id, unit_id,
                   user_id, lat, lng)
        elif isinstance(obj, CaseVehicle):
            vehicle = obj.__dict__.get("vehicle")
            plate = vehicle.plate if vehicle is not None else conn.execute(
                select(Vehicle.plate).where(Vehicle.id == obj.vehicle_id)).scalar()
            row = conn.execute(select(Case.unit_id, Case.lat, Case.lng, Case.created_by_id)
                               .where(Case.id == obj.case_id)).first()
            if not plate or row is None:
                continue
            yield (plate, SightingSource.case, obj.case_id, row[0], row[3], row[1], row[2])


def _after_flush(session: Session, _context) -> None:
    try:
        found = list(_new_plates(session))
    except Exception:  # noqa: BLE001 - monitoring must never break a case or a tip; logged
        log.exception("blacklist monitoring: could not read the new plates")
        return
    for plate, source, source_id, unit_id, user_id, lat, lng in found:
        if plate:
            record_sighting(plate=plate, source=source, unit_id=unit_id, source_id=source_id,
                            user_id=user_id, lat=lat, lng=lng, connection=session.connection())


def install() -> None:
    """Register the session listeners once per process."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    _installed = True
