"""Case services: create and edit drafts, take workflow steps, correct, propose penalties.

Every function takes the acting user explicitly, flushes but never commits, raises DomainError
(422, naming the field) for bad input and ConflictError (409) for a step not allowed now. A failed
call leaves the case exactly as it was: checks run before anything is changed.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit, settings
from core.base import local_today, utcnow
from core.errors import ConflictError, DomainError
from core.models import Unit, User
from core.roles import Role
from enforcement.cases import clocks, discretion, workflow
from enforcement.cases.models import (
    Case,
    CaseOfficer,
    CaseOrigin,
    CaseParty,
    CaseStatus,
    CaseStep,
    CaseVehicle,
    PartyRole,
)
from enforcement.cases.numbering import issue_number
from enforcement.cases.rules import (
    CREATE_ACTION,
    LOCAL,  # noqa: F401 - the pages show times in it as services.LOCAL
    CaseInput,
    PartyInput,  # noqa: F401 - callers build inputs as services.PartyInput
    VehicleInput,  # noqa: F401 - and services.VehicleInput
    case_year,
    check_links,
    check_new_case,
    check_officers,
    check_place_and_time,
    created_step_data,
    distinct_links,
    new_case_values,
    pick_violation,
    step_audit,
)
from enforcement.people import services as people
from enforcement.violations.models import ViolationType
from extensions import db

MAX_FINE = Decimal("10000000")  # absurd above this: a typo, not a penalty


def today_local(now: Optional[dt.datetime] = None) -> dt.date:
    return local_today(now)


def parse_money(value, field_name: str) -> Optional[Decimal]:
    """A yuan amount: non-negative, at most two decimals, not absurd."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        raise DomainError(_l("Enter an amount in yuan, e.g. 500.00."), field=field_name) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_FINE or \
            amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter an amount between 0 and 10,000,000 yuan with at most two "
                             "decimals."), field=field_name)
    return amount.quantize(Decimal("0.01"))


def _active_violation(code: str) -> Optional[ViolationType]:
    return db.session.scalar(select(ViolationType).where(ViolationType.code == code,
                                                         ViolationType.is_active.is_(True)))


def _get_user(user_id: int) -> Optional[User]:
    return db.session.get(User, user_id)


def _attach(case: Case, vehicles: list[tuple[people.VehicleValues, bool]],
            parties: list[tuple[people.PersonValues, PartyRole]]) -> None:
    """Find or create the (checked) vehicles and parties in the registry and link them."""
    saved_vehicles = [(people.save_vehicle(v), fake) for v, fake in vehicles]
    saved_parties = [(people.save_person(p), role) for p, role in parties]
    case.vehicles = [CaseVehicle(vehicle=v, is_fake_plate=fake) for v, fake in
                     distinct_links(saved_vehicles, key=lambda p: p[0].id)]
    case.parties = [CaseParty(person=p, role=r) for p, r in
                    distinct_links(saved_parties, key=lambda p: (p[0].id, p[1]))]


def create_case(*, actor, unit: Unit, data: CaseInput, now: Optional[dt.datetime] = None) -> Case:
    """Open a draft case in ``unit`` with a new gap-free number."""
    now = now or utcnow()
    checked = check_new_case(actor=actor, unit=unit, data=data, now=now,
                             find_violation=_active_violation, get_user=_get_user)
    case = Case(**new_case_values(actor=actor, unit=unit, data=data, checked=checked),
                unit=unit, violation_type=checked.violation, number="", year=0, seq=0)
    case.officers = [CaseOfficer(user=u) for u in checked.officers]
    _attach(case, checked.vehicles, checked.parties)
    case.year = case_year(now)
    case.seq, case.number = issue_number(unit.id, unit.code, case.year)
    db.session.add(case)
    db.session.flush()
    _step(case, actor, CREATE_ACTION, CaseStatus.draft, CaseStatus.draft, "",
          created_step_data(case.number))
    return case


def update_draft(case: Case, *, actor, data: CaseInput, now: Optional[dt.datetime] = None) -> Case:
    """Edit a case while it is a draft (afterwards, changes are corrections)."""
    if case.status is not CaseStatus.draft:
        raise ConflictError(_l("Only a draft can be edited; record a correction instead."))
    check_place_and_time(data, now or utcnow())
    violation = pick_violation(data.violation_code, _active_violation)
    officers = check_officers(actor, data.officer_ids or [o.user_id for o in case.officers],
                              _get_user)
    vehicles, parties = check_links(data)
    case.origin, case.origin_ref = CaseOrigin(data.origin), data.origin_ref
    case.occurred_at, case.address = data.occurred_at, data.address.strip()
    case.lat, case.lng, case.facts = data.lat, data.lng, data.facts or ""
    case.violation_type, case.documents_detained = violation, data.documents_detained
    case.officers = [CaseOfficer(user=u) for u in officers]
    _attach(case, vehicles, parties)
    db.session.flush()
    _step(case, actor, "edit", case.status, case.status, "", {})
    return case


CORRECTABLE = ("address", "facts", "occurred_at", "lat", "lng", "documents_detained")


def correct(case: Case, *, actor, changes: dict, note: str) -> CaseStep:
    """A correction after registration: a new step with before/after, never an edit of history."""
    if actor.role not in (Role.officer, Role.unit_leader):
        raise DomainError(_l("You may not correct cases."), field="note")
    if not case.is_open:
        raise ConflictError(_l("A finished case cannot be corrected."))
    if not (note or "").strip():
        raise DomainError(_l("Explain the correction."), field="note")
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise DomainError(_l("These fields cannot be corrected."), field=sorted(unknown)[0])
    before = {k: _plain(getattr(case, k)) for k in changes}
    for key, value in changes.items():
        setattr(case, key, value)
    return _step(case, actor, "correct", case.status, case.status, note,
                 {"before": before, "after": {k: _plain(v) for k, v in changes.items()}})


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, Decimal)):
        return str(value)
    return value


def _step(case: Case, actor, action: str, source: CaseStatus, target: CaseStatus, note: str,
          data: dict) -> CaseStep:
    step = CaseStep(case_id=case.id, action=action, from_status=source, to_status=target,
                    actor_id=getattr(actor, "id", None), note=note or "", data=data)
    db.session.add(step)
    db.session.flush()
    audit.record(**step_audit(action, source, target, case.number), actor=actor,
                 object_id=case.id, unit_id=case.unit_id)
    return step


def propose_penalty(case: Case, *, proposed_fine, confiscated_amount=None,
                    penalty_justification: Optional[str] = None) -> None:
    """Set the proposed penalty and flag it when outside the tier's allowed range."""
    fine = parse_money(proposed_fine, "proposed_fine")
    if fine is None:
        raise DomainError(_l("Propose the penalty."), field="proposed_fine")
    guidance = discretion.guidance_for(case)
    case.tier = guidance.tier
    case.proposed_fine = fine
    case.confiscated_amount = parse_money(confiscated_amount, "confiscated_amount")
    case.is_penalty_flagged = not (guidance.min_fine <= fine <= guidance.max_fine)
    case.penalty_justification = (penalty_justification or "").strip() or None


def transition(case: Case, *, actor, to: str, note: str = "", payload: Optional[dict] = None,
               now: Optional[dt.datetime] = None) -> CaseStep:
    """Take one step of the procedure, or refuse it with the reasons (409)."""
    from enforcement.cases import documents as case_documents

    payload = dict(payload or {})
    today = today_local(now)
    try:
        target = CaseStatus(to)
    except ValueError:
        raise DomainError(_l("Unknown status %(to)s.", to=to), field="to") from None
    step_def = workflow.find(case.status, target)
    if step_def is None:
        raise ConflictError(_l("A case that is %(status)s cannot become %(to)s.",
                               status=case.status.value, to=target.value))
    if actor.role not in step_def.roles:
        raise ConflictError(_l("Your role may not take this step."))
    if step_def.note_required and not (note or "").strip():
        raise DomainError(_l("A reason is required for this step."), field="note")
    source = case.status
    with db.session.begin_nested():  # a refused step leaves the case exactly as it was
        _apply_payload(case, target, payload, note)
        found = workflow.problems(
            case, step_def, today=today, min_officers=settings.get("cases.min_officers"),
            statement_due=clocks.due_of(case, "statement"),
            has_open_suspension=any(s.end_on is None for s in case.suspensions),
            has_open_detention=any(d.released_on is None for d in case.detentions),
            has_notice=any(d.kind == "notice" for d in case.documents))
        if found:
            raise ConflictError(found[0][1], fields={f: [m] for f, m in found})
        case.status = target
        _stamp(case, target, today)
        step = _step(case, actor, "transition", source, target, note,
                     {k: _plain(v) for k, v in payload.items()})
        if target is CaseStatus.notified:
            case_documents.issue(case, actor=actor, kind="notice")
        if target is CaseStatus.decided:
            case_documents.issue(case, actor=actor, kind="decision")
        clocks.recompute(case)
    return step


def _apply_payload(case: Case, target: CaseStatus, payload: dict, note: str) -> None:
    if target is CaseStatus.legal_review:
        propose_penalty(case, proposed_fine=payload.get("proposed_fine"),
                        confiscated_amount=payload.get("confiscated_amount"),
                        penalty_justification=payload.get("penalty_justification"))
    elif target is CaseStatus.decided:
        fine = parse_money(payload.get("fine_amount"), "fine_amount")
        case.fine_amount = fine if fine is not None else case.proposed_fine
        case.statement_waived = bool(payload.get("statement_waived"))
        if case.fine_amount is not None and case.tier is not None:
            guidance = discretion.guidance_for(case)
            if not guidance.min_fine <= case.fine_amount <= guidance.max_fine:
                case.is_penalty_flagged = True
                if not (case.penalty_justification or "").strip():
                    raise DomainError(_l("A penalty outside the allowed range needs a written "
                                         "justification."), field="fine_amount")
    elif target is CaseStatus.executed:
        case.paid_on = _date(payload.get("paid_on"), "paid_on")
        case.receipt_no = (payload.get("receipt_no") or "").strip() or None
        case.court_enforcement_on = _date(payload.get("court_enforcement_on"),
                                          "court_enforcement_on")
    elif target is CaseStatus.transferred:
        case.transferred_to = (payload.get("transferred_to") or "").strip() or None
    elif target is CaseStatus.withdrawn:
        case.withdraw_reason = note.strip()


def _date(value, field_name: str) -> Optional[dt.date]:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_l("Enter a date as YYYY-MM-DD."), field=field_name) from None


def _stamp(case: Case, target: CaseStatus, today: dt.date) -> None:
    stamp = {CaseStatus.registered: "registered_on", CaseStatus.notified: "notified_on",
             CaseStatus.decided: "decided_on", CaseStatus.executed: "executed_on",
             CaseStatus.closed: "closed_on"}.get(target)
    if stamp:
        setattr(case, stamp, today)
