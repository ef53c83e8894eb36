"""The general procedure (一般程序) as an explicit state machine: pure data and pure checks.

Each transition names its source states, the roles that may take it, whether a note is required,
and a check of its preconditions on the case as loaded (no database access here). The services
apply a transition only when :func:`problems` returns nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from core.roles import Role
from enforcement.cases.models import Case, CaseStatus

S = CaseStatus
OFFICERS = frozenset({Role.officer, Role.unit_leader})
LEADERS = frozenset({Role.unit_leader})
OPEN_BEFORE_DECISION = frozenset({S.draft, S.registered, S.investigating, S.legal_review,
                                  S.notified})


@dataclass(frozen=True)
class Transition:
    to: CaseStatus
    sources: frozenset
    roles: frozenset
    note_required: bool = False
    label: str = ""
    fields: tuple = field(default_factory=tuple)  # payload fields the step takes


TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.registered, frozenset({S.draft}), OFFICERS, label=_l("Register (立案)")),
    Transition(S.investigating, frozenset({S.registered}), OFFICERS,
               label=_l("Start investigation")),
    Transition(S.investigating, frozenset({S.legal_review}), LEADERS, note_required=True,
               label=_l("Send back for investigation")),
    Transition(S.legal_review, frozenset({S.investigating}), OFFICERS,
               label=_l("Submit for legal review"),
               fields=("proposed_fine", "confiscated_amount", "penalty_justification")),
    Transition(S.notified, frozenset({S.legal_review}), LEADERS,
               label=_l("Pass legal review and serve the notice")),
    Transition(S.decided, frozenset({S.notified}), LEADERS,
               label=_l("Decide the penalty"), fields=("fine_amount", "statement_waived")),
    Transition(S.executed, frozenset({S.decided}), OFFICERS, label=_l("Record execution"),
               fields=("paid_on", "receipt_no", "court_enforcement_on")),
    Transition(S.closed, frozenset({S.executed}), LEADERS, label=_l("Close the case")),
    Transition(S.transferred, frozenset(OPEN_BEFORE_DECISION | {S.decided}), LEADERS,
               note_required=True, label=_l("Transfer to another authority"),
               fields=("transferred_to",)),
    Transition(S.withdrawn, OPEN_BEFORE_DECISION, LEADERS, note_required=True,
               label=_l("Withdraw (reason required)")),
)


def find(source: CaseStatus, to: CaseStatus) -> Transition | None:
    return next((t for t in TRANSITIONS if t.to == to and source in t.sources), None)


def available(case: Case, role: Role) -> list[Transition]:
    """The transitions the role may take from the case's current state."""
    return [t for t in TRANSITIONS if case.status in t.sources and role in t.roles]


def _officer_problems(case: Case, today: dt.date, min_officers: int) -> list[tuple[str, str]]:
    valid = [o for o in case.officers if o.user.is_active and o.user.has_valid_certificate(today)]
    if len(valid) < min_officers:
        return [("officers", str(_l(
            "At least %(n)d officers with valid enforcement certificates are needed.",
            n=min_officers)))]
    return []


def problems(case: Case, transition: Transition, *, today: dt.date, min_officers: int,
             statement_due: dt.date | None, has_open_suspension: bool,
             has_open_detention: bool, has_notice: bool) -> list[tuple[str, str]]:
    """(field, message) pairs explaining why the transition cannot be taken now."""
    out: list[tuple[str, str]] = []
    to = transition.to
    if to in (S.registered, S.legal_review, S.notified, S.decided):
        out += _officer_problems(case, today, min_officers)
    if to is S.registered:
        if case.violation_type_id is None:
            out.append(("violation_code", str(_l("Choose the violation type."))))
        if not case.vehicles and not case.parties:
            out.append(("vehicles", str(_l("Add at least one vehicle or party."))))
        if not case.address:
            out.append(("address", str(_l("Enter where it happened."))))
    if to is S.legal_review:
        if not case.parties:
            out.append(("parties", str(_l("Add the party before legal review."))))
        if case.proposed_fine is None:
            out.append(("proposed_fine", str(_l("Propose the penalty."))))
        if case.is_penalty_flagged and not (case.penalty_justification or "").strip():
            out.append(("penalty_justification", str(_l(
                "A penalty outside the allowed range needs a written justification."))))
    if to is S.notified and not any((p.person.address or "").strip() for p in case.parties):
        out.append(("parties", str(_l("The notice is served on the party: enter the party's "
                                      "address."))))
    if to is S.decided:
        if has_open_suspension:
            out.append(("status", str(_l("The case is suspended (e.g. a hearing is pending)."))))
        if not has_notice:
            out.append(("documents", str(_l("The notice of proposed penalty was not issued."))))
        if not case.statement_waived and statement_due is not None and today <= statement_due:
            out.append(("statement_waived", str(_l(
                "The party's statement period runs until %(day)s.", day=statement_due.isoformat()))))
        if case.fine_amount is None:
            out.append(("fine_amount", str(_l("Enter the fine decided."))))
    if to is S.executed:
        paid = case.paid_on is not None and (case.receipt_no or "").strip()
        if not paid and case.court_enforcement_on is None:
            out.append(("paid_on", str(_l(
                "Record the payment (date and receipt number) or the application for court "
                "enforcement."))))
        if case.paid_on and case.decided_on and case.paid_on < case.decided_on:
            out.append(("paid_on", str(_l("Payment cannot precede the decision."))))
        if case.paid_on and case.paid_on > today:
            out.append(("paid_on", str(_l("The payment date is in the future."))))
    if to is S.closed and has_open_detention:
        out.append(("detentions", str(_l("Release or dispose of every detained vehicle first."))))
    if to is S.transferred and not (case.transferred_to or "").strip():
        out.append(("transferred_to", str(_l("Name the authority the case goes to."))))
    return out
