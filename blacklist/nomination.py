"""Running the nomination rules against the cases: the nightly job and the on-demand button."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select

from blacklist import ending, rules, services
from blacklist.models import BlacklistEntry
from core import settings
from core.base import local_today
from core.errors import ConflictError
from core.models import Unit
from enforcement.cases.models import Case, CaseParty, CaseStatus, CaseVehicle
from enforcement.people.models import Person, Vehicle
from enforcement.violations.models import ViolationType
from extensions import db

log = logging.getLogger(__name__)
DECIDED = (CaseStatus.decided, CaseStatus.executed, CaseStatus.closed)


def case_rows(since: dt.date, units=None) -> list[rules.CaseRow]:
    """Decided cases since ``since`` (optionally in those unit ids), one row per vehicle and
    per party they name."""
    base = (select(Case.id, Case.unit_id, Case.decided_on, ViolationType.code, Case.paid_on,
                   Case.status)
            .outerjoin(ViolationType, ViolationType.id == Case.violation_type_id)
            .where(Case.decided_on >= since, Case.status.in_(DECIDED)))
    if units is not None:
        base = base.where(Case.unit_id.in_(units))
    out: list[rules.CaseRow] = []
    vehicles = base.add_columns(CaseVehicle.vehicle_id, CaseVehicle.is_fake_plate).join(
        CaseVehicle, CaseVehicle.case_id == Case.id)
    for cid, unit_id, decided, code, paid, status, vid, fake in db.session.execute(vehicles):
        out.append(rules.CaseRow(cid, unit_id, decided, "vehicle", vid, code or "", bool(fake),
                                 "", paid, status is not CaseStatus.decided))
    parties = base.add_columns(CaseParty.person_id, CaseParty.role).join(
        CaseParty, CaseParty.case_id == Case.id)
    for cid, unit_id, decided, code, paid, status, pid, role in db.session.execute(parties):
        out.append(rules.CaseRow(cid, unit_id, decided, "person", pid, code or "", False,
                                 getattr(role, "value", role) or "", paid,
                                 status is not CaseStatus.decided))
    return out


def _codes() -> dict:
    return {"illegal_operation": set(settings.get("blacklist.illegal_operation_codes")),
            "fake_plate": set(settings.get("blacklist.fake_plate_codes")),
            "violent_resistance": set(settings.get("blacklist.violent_resistance_codes"))}


def _subject_input(kind: str, subject_id: int) -> Optional[services.SubjectInput]:
    if kind == "vehicle":
        v = db.session.get(Vehicle, subject_id)
        if v is None or not v.plate:
            return None
        return services.SubjectInput(kind="vehicle", plate=v.plate,
                                     plate_colour=getattr(v.plate_colour, "value", ""),
                                     vin=v.vin or "", vehicle_id=v.id)
    p = db.session.get(Person, subject_id)
    if p is None:
        return None
    return services.SubjectInput(kind="person", name=p.name, id_number=p.id_number or "",
                                 phone=p.phone or "", person_id=p.id)


def run_rules(today: Optional[dt.date] = None, units=None) -> dict:
    """Evaluate every configured rule and nominate what they find, never twice for the same
    facts and never while the subject has an open entry on that list. Idempotent."""
    today = today or local_today()
    configured = settings.get("blacklist.rules")
    window = max([int(r.get("window_months", 12)) for r in configured] or [12])
    rows = case_rows(rules.months_before(today, window), units)
    found = rules.evaluate_all(configured, rows, today, _codes())
    made = skipped = 0
    existing = set(db.session.execute(select(BlacklistEntry.rule_code, BlacklistEntry.facts_key,
                                             BlacklistEntry.subject_key)).all())
    for n in found:
        subject = _subject_input(n.subject_kind, n.subject_id)
        if subject is None:
            continue
        unit = db.session.get(Unit, n.unit_id)
        data = services.NominationInput(
            subject=subject, case_ids=list(n.case_ids), list_kind=n.list_kind,
            is_serious=n.is_serious, rule_code=n.rule_code, reason=rules.rule_label(n.rule_code))
        try:
            columns = services._subject(subject)
        except Exception:  # noqa: BLE001 - a registry record the rules cannot list; logged
            log.warning("blacklist rule %s: subject %s/%s not valid, skipped", n.rule_code,
                        n.subject_kind, n.subject_id)
            continue
        if (n.rule_code, n.facts_key, columns["subject_key"]) in existing:
            skipped += 1
            continue
        try:
            services.nominate(data, actor=None, unit=unit, skip_open=True)
            made += 1
        except ConflictError:
            skipped += 1
    return {"nominated": made, "skipped": skipped}


def nightly() -> dict:
    """The scheduler's job: run the rules, then expire listings whose period is over."""
    result = run_rules()
    result["expired"] = ending.expire_due()
    return result
