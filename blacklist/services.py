"""Blacklist services: nomination, approvals, notice, objections, listing, expiry and removal.

Every function takes the acting user explicitly (``None`` for the nightly job), checks everything
before it changes anything, flushes but never commits, and records each step as an
:class:`EntryEvent` (the full history and the change feed).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blacklist import plate_keys  # noqa: F401 - its listener keys every new entry's plate
from blacklist.models import (
    OPEN,
    BlacklistEntry,
    EntryCase,
    EntryEvent,
    EntryStatus,
    FeedCounter,
    ListKind,
    Objection,
    ObjectionStatus,
    SubjectKind,
)
from blacklist.rules import add_months, facts_key
from core import audit, identity, plates, scoping, settings
from core.base import local_today, utcnow
from core.errors import ConflictError, DomainError
from core.roles import Role
from enforcement import deadlines
from enforcement.people.models import Person, Vehicle
from extensions import db

settings.define("blacklist.objection_working_days", 5, "working days the party may object "
                "after the notice (§6.3)", minimum=1)
settings.define("blacklist.listing_months", 12, "months an entry stays listed", minimum=1)
settings.define("blacklist.serious_listing_months", 36, "months a serious entry stays listed",
                minimum=1)
settings.define("blacklist.attention_months", 12, "months an entry stays on the "
                "focused-attention list", minimum=1)
settings.define("blacklist.repair_min_months", 6, "months without a new offence before early "
                "removal (credit repair)", minimum=0)

LEADERS = frozenset({Role.unit_leader})
OFFICES = frozenset({Role.district_office, Role.city_office})
MAX_REASON = 2000
#: Events that change what is on the list: the change feed carries these.
FEED_EVENTS = frozenset({"listed", "published", "updated", "expired", "removed"})


@dataclass
class SubjectInput:
    kind: str
    plate: str = ""
    plate_colour: str = ""
    vin: str = ""
    name: str = ""
    id_number: str = ""
    phone: str = ""
    area_name: str = ""
    lat: Optional[float] = None
    lng: Optional[float] = None
    vehicle_id: Optional[int] = None
    person_id: Optional[int] = None


@dataclass
class NominationInput:
    subject: SubjectInput
    reason: str
    case_ids: list[int] = field(default_factory=list)
    list_kind: str = "blacklist"
    is_serious: bool = False
    rule_code: str = "manual"


def snapshot(entry: BlacklistEntry) -> dict:
    """The entry's shareable state (what the change feed and the bulk export carry)."""
    return {
        "id": entry.uid, "list": entry.list_kind.value, "subject": entry.subject_kind.value,
        "status": entry.status.value, "rule": entry.rule_code, "serious": entry.is_serious,
        "plate": entry.plate, "plate_colour": entry.plate_colour, "vin": entry.vin,
        "name": entry.person_name, "id_no": entry.id_number, "phone": entry.phone,
        "area": entry.area_name,
        "starts_on": entry.starts_on.isoformat() if entry.starts_on else None,
        "ends_on": entry.ends_on.isoformat() if entry.ends_on else None,
        "unit": entry.unit.code if entry.unit else None,
    }


def next_feed_seq() -> int:
    """The next change-feed number, under a row lock kept until this transaction ends."""
    from core.database import insert_ignore

    insert_ignore(FeedCounter, id=1, last_seq=0)
    counter = db.session.scalar(select(FeedCounter).where(FeedCounter.id == 1)
                                .with_for_update())
    counter.last_seq += 1
    db.session.flush()
    return counter.last_seq


def record_event(entry: BlacklistEntry, event: str, source: Optional[EntryStatus], *, actor,
                 note: str = "") -> EntryEvent:
    """Append one step to the entry's history (and to the feed when it changes the list)."""
    db.session.flush()
    is_feed = event in FEED_EVENTS and entry.starts_on is not None
    row = EntryEvent(entry=entry, event=event, from_status=source, to_status=entry.status,
                     actor_id=getattr(actor, "id", None), note=note or "", is_feed=is_feed,
                     feed_seq=next_feed_seq() if is_feed else None,
                     is_shared=entry.first_published_at is not None,
                     snapshot=snapshot(entry))
    db.session.add(row)
    db.session.flush()
    audit.record(f"blacklist.{event}", actor=actor, object_type="blacklist_entry",
                 object_id=str(entry.id), unit_id=entry.unit_id,
                 detail={"from": source.value if source else None, "to": entry.status.value})
    return row


def _require(actor, roles, message) -> None:
    if actor is not None and actor.role not in roles:
        raise DomainError(message, field="actor")


def _subject(data: SubjectInput) -> dict:
    """Validated subject columns and the subject key; raises DomainError naming the field."""
    try:
        kind = SubjectKind(data.kind)
    except ValueError:
        raise DomainError(_l("Choose a vehicle, a person or a key area."),
                          field="subject_kind") from None
    out: dict = {"subject_kind": kind, "vehicle_id": data.vehicle_id,
                 "person_id": data.person_id}
    if kind is SubjectKind.vehicle:
        try:
            plate = plates.validate_plate(data.plate or "").plate
        except plates.PlateError as exc:
            raise DomainError(str(exc.message), field="plate") from None
        out.update(plate=plate, plate_colour=(data.plate_colour or "").strip() or None,
                   vin=(data.vin or "").strip().upper() or None, subject_key=f"vehicle:{plate}")
        if out["vehicle_id"] is None:  # link the registry record, for the vehicle's history
            out["vehicle_id"] = db.session.scalar(select(Vehicle.id).where(
                Vehicle.plate == plate).order_by(Vehicle.id).limit(1))
    elif kind is SubjectKind.person:
        name = (data.name or "").strip()
        if not name or len(name) > 60:
            raise DomainError(_l("Enter the person's name."), field="name")
        id_no = None
        if (data.id_number or "").strip():
            try:
                id_no = identity.validate_id_number(data.id_number).number
            except identity.IdNumberError as exc:
                raise DomainError(str(exc), field="id_number") from None
        phone = None
        if (data.phone or "").strip():
            try:
                phone = identity.validate_phone(data.phone)
            except identity.PhoneError as exc:
                raise DomainError(str(exc), field="phone") from None
        if out["person_id"] is None and id_no:
            out["person_id"] = db.session.scalar(select(Person.id).where(
                Person.id_number == id_no))
        key = id_no or (f"p{data.person_id}" if data.person_id else name)
        out.update(person_name=name, id_number=id_no, phone=phone, subject_key=f"person:{key}")
    else:
        area = (data.area_name or "").strip()
        if not area or len(area) > 120:
            raise DomainError(_l("Enter the name of the key area."), field="area_name")
        out.update(area_name=area, area_lat=data.lat, area_lng=data.lng,
                   subject_key=f"area:{area}")
    return out


def nominate(data: NominationInput, *, actor, unit, now: Optional[dt.datetime] = None,
             skip_open: bool = False) -> BlacklistEntry:
    """Nominate a subject (by a unit, or by a rule when ``actor`` is None). The same rule,
    subject and facts are never nominated twice (409)."""
    from enforcement.cases.models import Case

    reason = (data.reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for the nomination."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_l("The reason is too long."), field="reason")
    try:
        list_kind = ListKind(data.list_kind)
    except ValueError:
        raise DomainError(_l("Choose the blacklist or the focused-attention list."),
                          field="list_kind") from None
    columns = _subject(data.subject)
    case_ids = sorted(set(data.case_ids))
    cases = db.session.scalars(select(Case).where(Case.id.in_(case_ids))).all()
    if len(cases) != len(case_ids) or (actor is not None and not all(
            scoping.in_scope(actor, c) for c in cases)):
        raise DomainError(_l("A linked case does not exist or is outside your area."),
                          field="case_ids")
    if list_kind is ListKind.blacklist and data.rule_code == "manual" and not case_ids:
        raise DomainError(_l("Link at least one case as the reason for a blacklist entry."),
                          field="case_ids")
    key = facts_key(case_ids) if case_ids else facts_key([reason])
    duplicate = db.session.scalar(select(BlacklistEntry.id).where(
        BlacklistEntry.rule_code == data.rule_code,
        BlacklistEntry.subject_key == columns["subject_key"], BlacklistEntry.facts_key == key))
    if duplicate is not None:
        raise ConflictError(_l("This subject has already been nominated for the same facts."),
                            field="case_ids")
    open_entry = db.session.scalar(select(BlacklistEntry.id).where(
        BlacklistEntry.subject_key == columns["subject_key"],
        BlacklistEntry.list_kind == list_kind, BlacklistEntry.status.in_(OPEN)))
    if open_entry is not None and (skip_open or data.rule_code != "manual"):
        raise ConflictError(_l("This subject already has an open entry on this list."),
                            field="subject")
    entry = BlacklistEntry(unit_id=unit.id, unit=unit, list_kind=list_kind,
                           rule_code=data.rule_code, facts_key=key, is_serious=data.is_serious,
                           reason=reason, nominated_by_id=getattr(actor, "id", None),
                           nominated_at=now or utcnow(), **columns)
    entry.cases = [EntryCase(case_id=i) for i in case_ids]
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # a concurrent nomination of the same facts won
        raise ConflictError(_l("This subject has already been nominated for the same facts."),
                            field="case_ids") from None
    record_event(entry, "nominated", None, actor=actor, note=reason)
    return entry


def _expect(entry: BlacklistEntry, *statuses: EntryStatus) -> None:
    if entry.status not in statuses:
        raise ConflictError(_l("This step is not possible while the entry is %(status)s.",
                               status=entry.status.value), field="status")


def approve_by_leader(entry: BlacklistEntry, *, actor, note: str = "",
                      today: Optional[dt.date] = None) -> BlacklistEntry:
    """The unit leader approves the nomination; an attention entry is listed at once."""
    _require(actor, LEADERS, _l("Only the unit leader approves nominations."))
    _expect(entry, EntryStatus.nominated)
    if entry.leader_approved_at is not None:
        raise ConflictError(_l("The unit leader has already approved this nomination."))
    entry.leader_approved_by_id, entry.leader_approved_at = actor.id, utcnow()
    record_event(entry, "leader_approved", entry.status, actor=actor, note=note)
    if entry.list_kind is ListKind.attention:
        _start_listing(entry, actor=actor, today=today or local_today(),
                       months=settings.get("blacklist.attention_months"))
    return entry


def approve_by_office(entry: BlacklistEntry, *, actor, note: str = "") -> BlacklistEntry:
    """The supervision office approves a nomination the unit leader approved."""
    _require(actor, OFFICES, _l("Only the supervision office approves listings."))
    _expect(entry, EntryStatus.nominated)
    if entry.list_kind is not ListKind.blacklist:
        raise ConflictError(_l("Only blacklist nominations need the office's approval."))
    if entry.leader_approved_at is None:
        raise ConflictError(_l("The unit leader must approve the nomination first."))
    if entry.office_approved_at is not None:
        raise ConflictError(_l("The office has already approved this nomination."))
    entry.office_approved_by_id, entry.office_approved_at = actor.id, utcnow()
    record_event(entry, "office_approved", entry.status, actor=actor, note=note)
    return entry


def reject(entry: BlacklistEntry, *, actor, reason: str) -> BlacklistEntry:
    """A leader or the office turns a nomination down, with reasons (the entry is removed)."""
    _require(actor, LEADERS | OFFICES, _l("Only the unit leader or the office decides."))
    _expect(entry, EntryStatus.nominated)
    return _end(entry, EntryStatus.removed, "rejected", actor=actor, reason=reason)


def objection_due(notified_on: dt.date) -> dt.date:
    """The last day to object: working days after the notice (the tips' deadline arithmetic)."""
    from enforcement.cases.clocks import work_calendar

    days = settings.get("blacklist.objection_working_days")
    return deadlines.deadline(notified_on, days, work_calendar(), working_day_periods={days})


def notify(entry: BlacklistEntry, *, actor, notified_on: Optional[dt.date] = None) -> BlacklistEntry:
    """Record that the party was notified; the objection period starts."""
    _require(actor, LEADERS | OFFICES, _l("Only the unit leader or the office notifies."))
    _expect(entry, EntryStatus.nominated)
    if entry.office_approved_at is None or entry.leader_approved_at is None:
        raise ConflictError(_l("The nomination needs the approval of the unit leader and the "
                               "supervision office before the party is notified."))
    today = local_today()
    notified_on = notified_on or today
    if notified_on > today:
        raise DomainError(_l("The notice date cannot be in the future."), field="notified_on")
    source = entry.status
    entry.status, entry.notified_by_id = EntryStatus.notified, actor.id
    entry.notified_on, entry.objection_due_on = notified_on, objection_due(notified_on)
    record_event(entry, "notified", source, actor=actor)
    return entry


def in_objection_period(entry: BlacklistEntry, today: Optional[dt.date] = None) -> bool:
    return (entry.status is EntryStatus.notified and entry.objection_due_on is not None
            and (today or local_today()) <= entry.objection_due_on)


def file_objection(entry: BlacklistEntry, *, actor, grounds: str,
                   received_on: Optional[dt.date] = None) -> Objection:
    """Record the party's objection (received within the period)."""
    _require(actor, LEADERS | OFFICES, _l("Only the unit leader or the office records "
                                          "objections."))
    _expect(entry, EntryStatus.notified)
    grounds = (grounds or "").strip()
    if not grounds:
        raise DomainError(_l("Give the grounds of the objection."), field="grounds")
    received_on = received_on or local_today()
    if received_on < entry.notified_on or received_on > entry.objection_due_on:
        raise DomainError(_l("The objection was received outside the objection period."),
                          field="received_on")
    if any(o.status is ObjectionStatus.pending for o in entry.objections):
        raise ConflictError(_l("An objection is already waiting for review."))
    objection = Objection(entry=entry, received_on=received_on, grounds=grounds,
                          recorded_by_id=actor.id)
    db.session.add(objection)
    record_event(entry, "objection_filed", entry.status, actor=actor, note=grounds)
    return objection


def review_objection(objection: Objection, *, actor, upheld: bool, reason: str) -> Objection:
    """The office upholds (the entry is removed) or rejects (listing may go on) an objection."""
    _require(actor, OFFICES, _l("Only the supervision office reviews objections."))
    if objection.status is not ObjectionStatus.pending:
        raise ConflictError(_l("This objection has already been reviewed."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reasons of the review."), field="reason")
    objection.status = ObjectionStatus.upheld if upheld else ObjectionStatus.rejected
    objection.reviewed_by_id, objection.reviewed_at = actor.id, utcnow()
    objection.review_reason = reason
    entry = objection.entry
    if upheld:
        _end(entry, EntryStatus.removed, "objection_upheld", actor=actor, reason=reason)
    else:
        record_event(entry, "objection_rejected", entry.status, actor=actor, note=reason)
    return objection


def _start_listing(entry: BlacklistEntry, *, actor, today: dt.date, months: int) -> None:
    source = entry.status
    entry.status, entry.listed_by_id = EntryStatus.listed, getattr(actor, "id", None)
    entry.starts_on, entry.ends_on = today, add_months(today, months)
    record_event(entry, "listed", source, actor=actor)


def list_entry(entry: BlacklistEntry, *, actor, today: Optional[dt.date] = None) -> BlacklistEntry:
    """List a notified entry once its objection period is over and no objection is pending."""
    _require(actor, OFFICES, _l("Only the supervision office lists entries."))
    if entry.status is EntryStatus.nominated:
        raise ConflictError(_l("The entry cannot be listed before it is approved and the party "
                               "is notified."), field="status")
    _expect(entry, EntryStatus.notified)
    today = today or local_today()
    if in_objection_period(entry, today):
        raise ConflictError(_l("The objection period runs until %(day)s.",
                               day=entry.objection_due_on.isoformat()), field="status")
    if any(o.status is ObjectionStatus.pending for o in entry.objections):
        raise ConflictError(_l("An objection is waiting for review."), field="status")
    months = settings.get("blacklist.serious_listing_months" if entry.is_serious
                          else "blacklist.listing_months")
    _start_listing(entry, actor=actor, today=today, months=months)
    return entry


def _end(entry: BlacklistEntry, status: EntryStatus, event: str, *, actor,
         reason: str) -> BlacklistEntry:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason."), field="reason")
    source = entry.status
    entry.status, entry.ended_at = status, utcnow()
    entry.ended_by_id, entry.end_reason = getattr(actor, "id", None), reason
    record_event(entry, "expired" if status is EntryStatus.expired else "removed", source,
                 actor=actor, note=f"{event}: {reason}")
    return entry
