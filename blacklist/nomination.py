"""Running the nomination rules against the cases: the nightly job and the on-demand button."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import and_, false, func, literal, or_, select

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


def _rule_condition(rule: dict, kind: str, today: dt.date, codes: dict):
    """The SQL pre-filter of one rule (the pure ``rules.case_matches`` still decides): it keeps
    the nightly run from loading every decided case of the window."""
    code = rule.get("code")
    if code in ("repeat_decisions", "single_decision"):
        return ViolationType.code.in_(sorted(codes["illegal_operation"]))
    if code == "fake_plate":
        if kind != "vehicle":
            return false()
        return or_(CaseVehicle.is_fake_plate.is_(True),
                   ViolationType.code.in_(sorted(codes["fake_plate"])))
    if code == "violent_resistance":
        return ViolationType.code.in_(sorted(codes["violent_resistance"]))
    if code == "organiser":
        return CaseParty.role == "organiser" if kind == "person" else false()
    if code == "refused_penalty":
        overdue = dt.timedelta(days=int(rule.get("overdue_days", 30)))
        return and_(Case.paid_on.is_(None), Case.status == CaseStatus.decided,
                    Case.decided_on < today - overdue)
    return false()


def case_rows(rule: dict, today: dt.date, codes: dict, units=None) -> list[rules.CaseRow]:
    """The decided cases ``rule`` may count, one row per vehicle or party they name, only for
    subjects with at least the rule's minimum number of such cases (grouped in SQL)."""
    since = rules.months_before(today, int(rule.get("window_months", 12)))
    minimum = max(int(rule.get("min_cases", 1)), 1)
    out: list[rules.CaseRow] = []
    links = {"vehicle": (CaseVehicle, CaseVehicle.vehicle_id),
             "person": (CaseParty, CaseParty.person_id)}
    for kind in rule.get("subjects", ["vehicle", "person"]):
        if kind not in links:
            continue
        link, subject = links[kind]
        where = [Case.decided_on >= since, Case.status.in_(DECIDED),
                 _rule_condition(rule, kind, today, codes)]
        if units is not None:
            where.append(Case.unit_id.in_(units))
        joined = (select(subject).select_from(Case)
                  .join(link, link.case_id == Case.id)
                  .outerjoin(ViolationType, ViolationType.id == Case.violation_type_id))
        candidates = joined.where(*where).group_by(subject).having(
            func.count(func.distinct(Case.id)) >= minimum)
        extra = (CaseVehicle.is_fake_plate, literal("")) if kind == "vehicle" else \
            (literal(False), CaseParty.role)
        stmt = (select(Case.id, Case.unit_id, Case.decided_on, ViolationType.code, Case.paid_on,
                       Case.status, subject, *extra).select_from(Case)
                .join(link, link.case_id == Case.id)
                .outerjoin(ViolationType, ViolationType.id == Case.violation_type_id)
                .where(*where, subject.in_(candidates)))
        for cid, unit_id, decided, code, paid, status, sid, fake, role in db.session.execute(stmt):
            out.append(rules.CaseRow(cid, unit_id, decided, kind, sid, code or "", bool(fake),
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
    configured = [r for r in settings.get("blacklist.rules")
                  if r.get("enabled", True) and r.get("code") in rules.KINDS]
    codes = _codes()
    found = []
    for rule in configured:
        found += rules.evaluate(rule, case_rows(rule, today, codes, units), today, codes)
    found = rules.prefer_blacklist(found)
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
