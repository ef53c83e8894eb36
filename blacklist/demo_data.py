"""Demo data of the blacklist: entries in every status, objections, expiries, sightings and a
published batch for each of the last six months, built from the demo cases through the services
(so the history and the change feed are real). Run by ``flask demo-data`` after the cases."""
from __future__ import annotations

import datetime as dt
import logging
import random

from sqlalchemy import func, literal_column, select

from blacklist import ending, publication, services
from blacklist.models import BlacklistEntry, PublicationBatch, SightingSource
from blacklist.monitoring import record_sighting
from blacklist.rules import add_months
from core import audit
from core.base import local_today
from core.errors import DomainError
from core.models import User
from core.roles import Role
from enforcement.cases.models import Case, CaseParty, CaseVehicle
from enforcement.people.models import Person, Vehicle
from extensions import db

log = logging.getLogger(__name__)
MONTHS = 6
PER_MONTH = 3


def _repeat_vehicles(limit: int) -> list[tuple[int, str, list[int], int]]:
    """Vehicles with two or more decided cases (grouped in SQL): id, plate, case ids, unit."""
    # "+ 0": grouped in a temporary index, the links read in case order (SQLite would otherwise
    # walk the vehicle_id index and look up each link and each case at random: 5x slower)
    vehicle_id = (CaseVehicle.vehicle_id + literal_column("0")).label("vehicle_id")
    rows = db.session.execute(
        select(vehicle_id, func.count(Case.id))
        .join(Case, Case.id == CaseVehicle.case_id).where(Case.decided_on.is_not(None))
        .group_by(vehicle_id).having(func.count(Case.id) >= 1)
        .order_by(func.count(Case.id).desc(), vehicle_id).limit(limit)).all()
    out = []
    for vehicle_id, _count in rows:
        plate = db.session.scalar(select(Vehicle.plate).where(Vehicle.id == vehicle_id))
        cases = db.session.execute(select(Case.id, Case.unit_id).join(
            CaseVehicle, CaseVehicle.case_id == Case.id).where(
            CaseVehicle.vehicle_id == vehicle_id, Case.decided_on.is_not(None))
            .order_by(Case.id).limit(5)).all()
        out.append((vehicle_id, plate, [c[0] for c in cases], cases[-1][1]))
    return out


def _persons(limit: int) -> list[tuple[Person, int, int]]:
    rows = db.session.execute(
        select(CaseParty.person_id, func.min(Case.id), func.min(Case.unit_id))
        .join(Case, Case.id == CaseParty.case_id)
        .where(Case.decided_on.is_not(None))
        .group_by(CaseParty.person_id).order_by(CaseParty.person_id).limit(limit)).all()
    return [(db.session.get(Person, pid), cid, uid) for pid, cid, uid in rows]


def _user(role: Role) -> User | None:
    return db.session.scalar(select(User).where(User.role == role).order_by(User.id).limit(1))


def _walk(entry, leader, office, *, to: str, listed_on: dt.date | None = None) -> None:
    """Take the entry through the process up to ``to`` (nominated … listed)."""
    if to == "nominated":
        return
    services.approve_by_leader(entry, actor=leader, note="同意提名")
    if to == "leader_approved" or entry.list_kind.value == "attention":
        return
    services.approve_by_office(entry, actor=office, note="同意列入")
    if to == "office_approved":
        return
    today = local_today()
    # a month before the listing: the objection period is counted in working days, and a
    # National Day or Spring Festival holiday can stretch five of them over two weeks
    notified_on = (listed_on - dt.timedelta(days=30)) if listed_on else today
    services.notify(entry, actor=office, notified_on=notified_on)
    if to == "notified":
        return
    services.list_entry(entry, actor=office, today=listed_on)


def load(seed: int) -> str:
    """Create the demo blacklist (once: skipped when entries exist)."""
    with audit.batch():
        return _load(seed)


def _load(seed: int) -> str:
    if db.session.scalar(select(func.count(BlacklistEntry.id))):
        return "blacklist already present, skipped"
    leader, office = _user(Role.unit_leader), _user(Role.city_office)
    if leader is None or office is None:
        return "no unit leader or city office user, skipped"
    rng = random.Random(seed)
    today = local_today()
    vehicles = _repeat_vehicles(60)
    persons = _persons(10)
    if len(vehicles) < 10:
        return f"only {len(vehicles)} decided vehicles, skipped"
    made = []

    def nominate(vehicle, *, serious=False, kind="blacklist"):
        _vid, plate, case_ids, unit_id = vehicle
        from core.models import Unit

        entry = services.nominate(services.NominationInput(
            subject=services.SubjectInput(kind="vehicle", plate=plate, vehicle_id=_vid),
            reason="一年内多次非法营运被处罚" if len(case_ids) > 1 else "非法营运被处罚",
            case_ids=case_ids, list_kind=kind, is_serious=serious,
            rule_code="repeat_decisions" if kind == "blacklist" else "single_decision"),
            actor=None, unit=db.session.get(Unit, unit_id))
        made.append(entry)
        return entry

    queue = list(vehicles)
    rng.shuffle(queue)
    try:
        # a published batch per month, the oldest first
        for back in range(MONTHS, 0, -1):
            month_start = add_months(today.replace(day=1), -back)
            batch_entries = []
            for _ in range(PER_MONTH):
                entry = nominate(queue.pop(), serious=rng.random() < 0.3)
                _walk(entry, leader, office, to="listed", listed_on=month_start)
                batch_entries.append(entry.id)
            batch = publication.publish_batch(actor=office, period=month_start.strftime("%Y-%m"),
                                              entry_ids=batch_entries, today=month_start)
            batch.published_at = dt.datetime.combine(
                month_start + dt.timedelta(days=4), dt.time(2, 0), tzinfo=dt.timezone.utc)
        # expired: listed more than a year ago
        for _ in range(3):
            entry = nominate(queue.pop())
            _walk(entry, leader, office, to="listed",
                  listed_on=add_months(today, -13))
        ending.expire_due(today)
        # every earlier status, objections, removals
        for status in ("nominated", "leader_approved", "office_approved", "notified",
                       "notified"):
            _walk(nominate(queue.pop()), leader, office, to=status)
        pending = nominate(queue.pop())
        _walk(pending, leader, office, to="notified")
        services.file_objection(pending, actor=office, grounds="当事人称车辆已于处罚前转让")
        upheld = nominate(queue.pop())
        _walk(upheld, leader, office, to="notified")
        objection = services.file_objection(upheld, actor=office, grounds="处罚决定已被复议撤销")
        services.review_objection(objection, actor=office, upheld=True,
                                  reason="经核实，处罚决定已撤销，异议成立")
        rejected = nominate(queue.pop())
        _walk(rejected, leader, office, to="notified", listed_on=today - dt.timedelta(days=3))
        objection = services.file_objection(rejected, actor=office, grounds="不服",
                                            received_on=rejected.notified_on)
        services.review_objection(objection, actor=office, upheld=False,
                                  reason="当事人未提供新证据，异议不成立")
        services.list_entry(rejected, actor=office)
        services.reject(nominate(queue.pop()), actor=leader, reason="证据不足，不予列入")
        revoked = nominate(queue.pop())
        _walk(revoked, leader, office, to="listed", listed_on=add_months(today, -2))
        ending.revoke(revoked, actor=office, reason="处罚决定被行政复议撤销")
        for _ in range(3):  # focused-attention list
            _walk(nominate(queue.pop(), kind="attention"), leader, office, to="listed")
        for person, case_id, unit_id in persons[:3]:
            from core.models import Unit

            entry = services.nominate(services.NominationInput(
                subject=services.SubjectInput(kind="person", name=person.name,
                                              id_number=person.id_number or "",
                                              phone=person.phone or "", person_id=person.id),
                reason="非法营运团伙组织者", case_ids=[case_id], rule_code="organiser",
                is_serious=True), actor=None, unit=db.session.get(Unit, unit_id))
            _walk(entry, leader, office, to="listed", listed_on=add_months(today, -1))
            made.append(entry)
    except (DomainError, IndexError) as exc:
        log.warning("blacklist demo stopped early: %s", exc)
    sightings = 0
    active = [e for e in made if e.is_active and e.plate]
    for entry in active[:12]:
        for _ in range(rng.randint(1, 3)):
            record_sighting(plate=entry.plate, source=SightingSource.quick_check,
                            unit_id=entry.unit_id, user_id=leader.id,
                            lat=29.55 + rng.random() * 0.25, lng=106.45 + rng.random() * 0.35)
            sightings += 1
    db.session.commit()
    counts = dict(db.session.execute(select(BlacklistEntry.status, func.count())
                                     .group_by(BlacklistEntry.status)).all())
    batches = db.session.scalar(select(func.count(PublicationBatch.id)))
    return (f"{len(made)} entries ({', '.join(f'{k.value} {v}' for k, v in counts.items())}), "
            f"{batches} monthly batches, {sightings} sightings")
