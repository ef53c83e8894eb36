"""Interface labels of case states, clocks, documents and steps (translatable)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from enforcement.cases.forms import PARTY_ROLE_LABELS
from enforcement.cases.models import CaseStatus, PartyRole

STATUS_LABELS = {
    CaseStatus.draft: _l("Draft"), CaseStatus.registered: _l("Registered"),
    CaseStatus.investigating: _l("Investigating"), CaseStatus.legal_review: _l("Legal review"),
    CaseStatus.notified: _l("Notice served"), CaseStatus.decided: _l("Decided"),
    CaseStatus.executed: _l("Executed"), CaseStatus.closed: _l("Closed"),
    CaseStatus.transferred: _l("Transferred"), CaseStatus.withdrawn: _l("Withdrawn"),
}
CLOCK_LABELS = {"decision": _l("Decision"), "statement": _l("Statement period"),
                "fine_payment": _l("Fine payment"), "detention": _l("Vehicle detention")}
DOC_LABELS = {"notice": _l("Notice of proposed penalty"), "decision": _l("Penalty decision")}
ACTION_LABELS = {"create": _l("Created"), "edit": _l("Draft edited"),
                 "correct": _l("Correction"), "detain": _l("Vehicle detained"),
                 "extend_detention": _l("Detention extended"), "release": _l("Vehicle released"),
                 "suspend": _l("Suspended"), "resume": _l("Resumed"),
                 "add_evidence": _l("Evidence added")}


def status_label(status) -> str:
    return str(STATUS_LABELS[CaseStatus(status)])


def clock_label(name: str) -> str:
    return str(CLOCK_LABELS.get(name.split(":")[0], name))


def doc_label(kind: str) -> str:
    return str(DOC_LABELS.get(kind, kind))


def party_role_label(role) -> str:
    return str(PARTY_ROLE_LABELS[PartyRole(role)])


def step_label(step) -> str:
    if step.action == "transition":
        return f"{status_label(step.from_status)} → {status_label(step.to_status)}"
    return str(ACTION_LABELS.get(step.action, step.action))


def init_app(app) -> None:
    @app.context_processor
    def case_labels():
        return {"status_label": status_label, "clock_label": clock_label,
                "doc_label": doc_label, "party_role_label": party_role_label,
                "step_label": step_label}
