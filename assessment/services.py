"""Manual inputs with evidence, per-unit targets and objections (公示). Services take the actor,
validate everything before storing anything, flush but never commit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from assessment import scoring
from assessment.models import (
    AssessmentScheme,
    EntryKind,
    ManualEntry,
    ObjectionStatus,
    ResultStatus,
    SchemeVersion,
    ScoreObjection,
    ScoreResult,
    UnitTarget,
)
from assessment.periods import parse_period
from assessment.schemes_store import assignments, ensure_seeded, indicator, version_in_force
from core import audit, scoping
from core.base import local_today, utcnow
from core.errors import ConflictError, DomainError
from core.models import Unit, User
from core.roles import Role
from extensions import db


@dataclass
class EntryInput:
    period: str
    kind: str
    item: str
    document_no: str
    document_date: Optional[dt.date]
    level: Optional[str] = None
    value: Optional[str] = None
    counts: dict = field(default_factory=dict)
    count: int = 1
    work: Optional[str] = None
    reason: str = ""


def _decimal(value, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_l("%(name)s: not a number", name=name), field=name) from None
    if not number.is_finite():
        raise DomainError(_l("%(name)s: not a number", name=name), field=name)
    return number


def scheme_for(*, unit: Optional[Unit] = None, user: Optional[User] = None):
    ensure_seeded()
    scheme = assignments().get("officer" if user is not None else unit.kind.value)
    if scheme is None:
        raise DomainError(_l("No assessment scheme applies to this subject."), field="subject")
    return scheme


def _levelled(items: list[dict], item: str, level: Optional[str], what: str) -> None:
    spec = next((i for i in items if i["code"] == item), None)
    if spec is None:
        raise DomainError(_l("%(item)s is not an item of the scheme.", item=item), field="item")
    if "levels" in spec and level not in spec["levels"]:
        raise DomainError(_l("Level: one of %(levels)s.", levels=", ".join(spec["levels"])),
                          field="level")


def _validate(data: dict, e: EntryInput) -> tuple[Optional[Decimal], Optional[dict]]:
    value, counts = None, None
    if e.kind == "score":
        spec = indicator(data, e.item)
        if spec is None or spec.get("kind") != "manual":
            raise DomainError(_l("%(item)s is not an indicator entered by hand.", item=e.item),
                              field="item")
        value = _decimal(e.value, "value")
        if not Decimal(0) <= value <= Decimal(str(spec["max"])):
            raise DomainError(_l("Points: between 0 and %(max)s.", max=spec["max"]), field="value")
    elif e.kind == "survey":
        spec = indicator(data, e.item)
        if spec is None or spec.get("kind") != "survey":
            raise DomainError(_l("%(item)s is not a survey indicator.", item=e.item), field="item")
        counts = {}
        for name, n in (e.counts or {}).items():
            if name not in spec["ratings"]:
                raise DomainError(_l("Survey counts: unknown rating %(name)s.", name=name),
                                  field="counts")
            try:
                counts[name] = int(n or 0)
            except (TypeError, ValueError):
                raise DomainError(_l("Survey counts: %(name)s is not a whole number.", name=name),
                                  field="counts") from None
            if counts[name] < 0:
                raise DomainError(_l("Survey counts: no negative numbers."), field="counts")
        minimum = int(spec.get("min_respondents", 1))
        if sum(counts.values()) < minimum:
            raise DomainError(_l("Survey counts: at least %(min)s respondents are needed "
                                 "(%(n)s given).", min=minimum, n=sum(counts.values())),
                              field="counts")
    elif e.kind == "bonus":
        _levelled(data.get("bonus", {}).get("items", []), e.item, e.level, "bonus")
    elif e.kind == "deduction":
        items = list(data.get("deductions", {}).get("items", []))
        for category in data["categories"]:
            items += category.get("items", [])
        _levelled(items, e.item, e.level, "deduction")
    elif e.kind == "veto":
        if e.item not in {v["code"] for v in data.get("vetoes", [])}:
            raise DomainError(_l("%(item)s is not a veto event of the scheme.", item=e.item),
                              field="item")
    else:
        raise DomainError(_l("Kind: score, survey, bonus, deduction or veto."), field="kind")
    if not isinstance(e.count, int) or e.count < 1:
        raise DomainError(_l("Count: at least 1."), field="count")
    return value, counts


def add_entry(*, actor, data: EntryInput, unit: Optional[Unit] = None,
              user: Optional[User] = None) -> ManualEntry:
    """A manual input for a unit or an officer, with its evidence (document number, date)."""
    return add_entries(actor=actor, items=[(unit, user, data)])[0]


def _subject_unit(actor, data: EntryInput, unit: Optional[Unit], user: Optional[User]) -> Unit:
    if user is not None:
        unit = user.unit
        if user.role != Role.officer:
            raise DomainError(_l("Only enforcement officers are assessed."), field="user")
    if unit is None or not scoping.can_see_unit(actor, unit):
        raise DomainError(_l("Choose a unit in your scope."), field="unit")
    if not (data.document_no or "").strip():
        raise DomainError(_l("Document number: give the evidence (document, certificate)."),
                          field="document_no")
    if data.document_date is None:
        raise DomainError(_l("Document date: required."), field="document_date")
    return unit


def add_entries(*, actor, items: list[tuple[Optional[Unit], Optional[User], EntryInput]]
                ) -> list[ManualEntry]:
    """Manual inputs, each ``(unit, user, data)`` checked as :func:`add_entry` checks it, all
    before any is stored (a month's entries for every unit: the scheme and the version in force
    are looked up once per subject kind and period, final results in one query)."""
    schemes: dict[str, AssessmentScheme] = {}
    versions: dict[tuple[int, dt.date], SchemeVersion] = {}
    checked = []
    for unit, user, data in items:
        period = parse_period(data.period)
        unit = _subject_unit(actor, data, unit, user)
        subject = "officer" if user is not None else unit.kind.value
        if subject not in schemes:
            schemes[subject] = scheme_for(unit=unit, user=user)
        scheme = schemes[subject]
        start = period.span()[0]
        if (scheme.id, start) not in versions:
            versions[scheme.id, start] = version_in_force(scheme, start)
        value, counts = _validate(versions[scheme.id, start].data, data)
        checked.append((period, unit, user, data, scoring.subject_key(unit=unit, user=user),
                        value, counts))
    if not checked:
        return []
    final = set(db.session.execute(select(ScoreResult.period, ScoreResult.subject_key).where(
        ScoreResult.period.in_({c[0].text for c in checked}),
        ScoreResult.subject_key.in_({c[4] for c in checked}),
        ScoreResult.status == ResultStatus.final)).all())
    for period, _unit, _user, _data, key, _value, _counts in checked:
        if (period.text, key) in final:
            raise ConflictError(_l("The result of %(period)s is final; a correction needs a "
                                   "recorded new version.", period=period.text), field="period")
    entries = [ManualEntry(period=period.text, subject_key=key, unit_id=unit.id,
                           user_id=user.id if user else None, kind=EntryKind(data.kind),
                           item=data.item, level=data.level or None, value=value, counts=counts,
                           count=data.count, work=data.work or None,
                           document_no=data.document_no.strip(),
                           document_date=data.document_date, reason=data.reason,
                           entered_by_id=actor.id)
               for period, unit, user, data, key, value, counts in checked]
    db.session.add_all(entries)
    db.session.flush()
    with audit.batch():
        for entry in entries:
            audit.record("assessment.manual_entry", actor=actor, object_type="assessment_entry",
                         object_id=entry.id, unit_id=entry.unit_id,
                         detail={"period": entry.period, "kind": entry.kind.value,
                                 "item": entry.item})
    return entries


def set_target(*, actor, unit: Unit, indicator_code: str, target) -> UnitTarget:
    scheme = scheme_for(unit=unit)
    data = version_in_force(scheme, local_today()).data
    spec = indicator(data, indicator_code)
    if spec is None or spec.get("kind") != "pro_rata":
        raise DomainError(_l("%(item)s has no target.", item=indicator_code), field="indicator")
    value = _decimal(target, "target")
    if value < 0:
        raise DomainError(_l("Target: not negative."), field="target")
    row = db.session.scalar(select(UnitTarget).where(UnitTarget.unit_id == unit.id,
                                                     UnitTarget.indicator == indicator_code))
    if row is None:
        row = UnitTarget(unit_id=unit.id, indicator=indicator_code, target=value)
        db.session.add(row)
    row.target, row.set_by_id, row.set_at = value, actor.id, utcnow()
    db.session.flush()
    audit.record("assessment.target", actor=actor, object_type="unit", object_id=unit.id,
                 unit_id=unit.id, detail={"indicator": indicator_code, "target": str(value)})
    return row


def raise_objection(*, actor, result: ScoreResult, indicator_code: str, reason: str,
                    today: Optional[dt.date] = None) -> ScoreObjection:
    """A unit objects to one indicator of its published result, within the objection period."""
    today = today or local_today()
    if result.status != ResultStatus.published or not result.is_current:
        raise DomainError(_l("Only a published result is open to objections."), field="result")
    if result.objection_due_on is None or today > result.objection_due_on:
        raise DomainError(_l("The objection period is over."), field="period")
    codes = {line["code"] for line in result.lines.get("indicators", [])}
    if indicator_code not in codes:
        raise DomainError(_l("Choose an indicator of the result."), field="indicator")
    if not (reason or "").strip():
        raise DomainError(_l("Give the reason of the objection."), field="reason")
    objection = ScoreObjection(result_id=result.id, unit_id=result.unit_id,
                               indicator=indicator_code, reason=reason.strip(),
                               raised_by_id=actor.id)
    db.session.add(objection)
    db.session.flush()
    audit.record("assessment.objection", actor=actor, object_type="assessment_objection",
                 object_id=objection.id, unit_id=result.unit_id,
                 detail={"period": result.period, "indicator": indicator_code})
    return objection


def decide_objection(*, actor, objection: ScoreObjection, accept: bool, reason: str,
                     corrected_value=None, today: Optional[dt.date] = None) -> ScoreObjection:
    """The city office accepts (correcting the input, then the result is recomputed) or
    rejects with a reason."""
    if objection.status != ObjectionStatus.pending:
        raise ConflictError(_l("This objection has been decided already."), field="status")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError(_l("Give the reason of the rejection."), field="reason")
    value = None
    if accept and corrected_value not in (None, ""):
        value = _decimal(corrected_value, "corrected_value")
        if value < 0:
            raise DomainError(_l("Corrected figure: not negative."),
                                  field="corrected_value")
    result = objection.result
    if accept and value is not None:
        db.session.add(ManualEntry(
            period=result.period, subject_key=result.subject_key, unit_id=result.unit_id,
            user_id=result.user_id, kind=EntryKind.override, item=objection.indicator,
            value=value, document_no=f"OBJ-{objection.id}", document_date=today or local_today(),
            reason=reason or objection.reason, entered_by_id=actor.id))
    objection.status = ObjectionStatus.accepted if accept else ObjectionStatus.rejected
    objection.decided_by_id, objection.decided_at = actor.id, utcnow()
    objection.decision_reason, objection.corrected_value = reason, value
    db.session.flush()
    if accept and value is not None:
        scoring.assess(result.period, today=today)
    audit.record("assessment.objection_decided", actor=actor,
                 object_type="assessment_objection", object_id=objection.id,
                 unit_id=objection.unit_id, detail={"accepted": accept})
    return objection
