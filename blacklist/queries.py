"""Scoped queries of the blacklist: a unit sees its subtree's entries and every published one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Select, or_, select

from blacklist.models import (
    ACTIVE,
    BlacklistEntry,
    EntryEvent,
    EntryStatus,
    ListKind,
    Objection,
    ObjectionStatus,
    Sighting,
)
from core import plates, scoping
from core.models import Unit

PUBLIC_STATUSES = (EntryStatus.published,)


def entry_visible(actor):
    """The WHERE condition: entries of the actor's subtree, and published entries of anyone."""
    return entry_visible_for(scoping.scope_key(actor))


def entry_visible_for(key):
    """:func:`entry_visible` of the actor whose ``scoping.scope_key`` is ``key``."""
    if key is None:
        return BlacklistEntry.id.is_not(None)
    return or_(scoping.condition_for(key, BlacklistEntry.unit_id),
               BlacklistEntry.status == EntryStatus.published)


def is_active():
    """``status IN ACTIVE`` as plain comparisons: bound once, no list expanded per execution."""
    return or_(*(BlacklistEntry.status == s for s in sorted(ACTIVE)))


@dataclass
class EntryFilter:
    status: Optional[str] = None
    list_kind: Optional[str] = None
    subject: Optional[str] = None
    q: Optional[str] = None
    waiting: Optional[str] = None  # leader | office | objection


def entries_in_scope(actor, f: Optional[EntryFilter] = None) -> Select:
    f = f or EntryFilter()
    stmt = select(BlacklistEntry).where(entry_visible(actor))
    if f.status in {s.value for s in EntryStatus}:
        stmt = stmt.where(BlacklistEntry.status == EntryStatus(f.status))
    if f.list_kind in {k.value for k in ListKind}:
        stmt = stmt.where(BlacklistEntry.list_kind == ListKind(f.list_kind))
    if f.subject in ("vehicle", "person", "area"):
        stmt = stmt.where(BlacklistEntry.subject_kind == f.subject)
    if f.q:
        text = f.q.strip()[:60]
        stmt = stmt.where(or_(BlacklistEntry.plate == plates.normalise_plate(text),
                              BlacklistEntry.person_name == text,
                              BlacklistEntry.id_number == text.upper(),
                              BlacklistEntry.area_name.contains(text, autoescape=True)))
    if f.waiting == "leader":
        stmt = stmt.where(BlacklistEntry.status == EntryStatus.nominated,
                          BlacklistEntry.leader_approved_at.is_(None))
    elif f.waiting == "office":
        stmt = stmt.where(BlacklistEntry.status == EntryStatus.nominated,
                          BlacklistEntry.leader_approved_at.is_not(None),
                          BlacklistEntry.office_approved_at.is_(None))
    elif f.waiting == "objection":
        stmt = stmt.where(BlacklistEntry.objections.any(Objection.status ==
                                                        ObjectionStatus.pending))
    return stmt.order_by(BlacklistEntry.id.desc())


def active_by_plate(actor, plate: str) -> Select:
    """Active entries for one normalised plate that the actor may see (uses the plate index)."""
    return select(BlacklistEntry).where(BlacklistEntry.plate == plate,
                                        BlacklistEntry.status.in_(ACTIVE),
                                        entry_visible(actor)).order_by(BlacklistEntry.id)


def active_brief(key, plate_condition) -> Select:
    """Active entries matching ``plate_condition`` that the scope ``key``
    (``scoping.scope_key``) may see, as the columns of a check's answer (no objects) with the
    unit code."""
    e = BlacklistEntry
    return select(e.uid, e.id, e.list_kind, e.subject_kind, e.status, e.plate, e.person_name,
                  e.id_number, e.rule_code, e.is_serious, e.starts_on, e.ends_on, Unit.code)\
        .join(Unit, Unit.id == e.unit_id).where(
            plate_condition, is_active(), entry_visible_for(key)).order_by(e.id)


def active_by_id_number(actor, id_no: str) -> Select:
    return select(BlacklistEntry).where(BlacklistEntry.id_number == id_no,
                                        BlacklistEntry.status.in_(ACTIVE),
                                        entry_visible(actor)).order_by(BlacklistEntry.id)


def feed_events(actor) -> Select:
    """Change-feed events the actor may read: every listing event of its subtree's entries,
    and the events of any entry from its publication on."""
    stmt = select(EntryEvent).where(EntryEvent.feed_seq.is_not(None))
    if scoping.is_citywide(actor):
        return stmt
    return stmt.join(BlacklistEntry, BlacklistEntry.id == EntryEvent.entry_id).where(
        or_(EntryEvent.is_shared.is_(True),
            scoping.unit_condition(actor, BlacklistEntry.unit_id)))


def sightings_in_scope(actor) -> Select:
    """Sightings of entries the actor may see, seen in its subtree or of entries its subtree
    listed (a unit is never told of another district's unpublished entry by an alert)."""
    stmt = select(Sighting).join(BlacklistEntry, BlacklistEntry.id == Sighting.entry_id)
    if scoping.is_citywide(actor):
        return stmt.order_by(Sighting.seen_at.desc(), Sighting.id.desc())
    return stmt.where(entry_visible(actor),
                      or_(scoping.unit_condition(actor, Sighting.unit_id),
                          scoping.unit_condition(actor, BlacklistEntry.unit_id))).order_by(
        Sighting.seen_at.desc(), Sighting.id.desc())
