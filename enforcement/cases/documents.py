"""Issuing the case's documents: render the PDF, store it frozen with its hash, add a version."""
from __future__ import annotations

from sqlalchemy import func, select

from core import audit, settings, storage
from core.base import local_today
from enforcement import documents as rendering
from enforcement.cases.models import Case, CaseDocument, PartyRole
from extensions import db

AREA = "documents"




DOCUMENT_WORDS = {"notice": "罚告", "decision": "罚决"}


def context_for(case: Case, version: int, kind: str = "notice") -> dict:
    """Everything the document templates show, taken from the case and configuration."""
    party = next((p.person for p in case.parties if p.role is not PartyRole.company),
                 case.parties[0].person if case.parties else None)
    vehicle = case.vehicles[0].vehicle if case.vehicles else None
    vt = case.violation_type
    return {
        "case_number": case.number,
        "document_number": f"{case.unit.code}{DOCUMENT_WORDS.get(kind, '')}〔{case.year}〕"
                           f"{case.seq}号",
        "unit_name": case.unit.name,
        "issued_on": local_today(),
        "party": {"name": party.name if party else "", "id_number": party.id_number or ""
                  if party else "", "address": (party.address or "") if party else "",
                  "phone": (party.phone or "") if party else ""},
        "vehicle": {"plate": vehicle.plate if vehicle else "",
                    "colour": vehicle.plate_colour.value if vehicle else "",
                    "kind": vehicle.kind.value if vehicle else ""},
        "facts": case.facts,
        "occurred_at": case.occurred_at,
        "address": case.address,
        "violation": {"name": vt.name_zh if vt else "", "legal_basis": vt.legal_basis if vt
                      else "", "penalty_basis": vt.penalty_basis if vt else ""},
        "fine": case.fine_amount if case.fine_amount is not None else case.proposed_fine,
        "confiscated": case.confiscated_amount,
        "statement_days": settings.get("deadline.statement_days"),
        "hearing_days": settings.get("deadline.hearing_request_days"),
        "payment_days": settings.get("deadline.fine_payment_days"),
        "surcharge_rate_percent": settings.get("decision.surcharge_rate_percent"),
        "payment_account": settings.get("decision.payment_account"),
        "reconsideration_days": settings.get("decision.reconsideration_days"),
        "lawsuit_months": settings.get("decision.lawsuit_months"),
        "officers": [{"name": o.user.full_name, "cert_no": o.user.cert_no or ""}
                     for o in case.officers],
        "version": version,
    }


def issue(case: Case, *, actor, kind: str) -> CaseDocument:
    """Render and freeze a document; issuing again makes a new version, older ones stay."""
    version = (db.session.scalar(select(func.max(CaseDocument.version)).where(
        CaseDocument.case_id == case.id, CaseDocument.kind == kind)) or 0) + 1
    pdf = rendering.render_pdf(kind, context_for(case, version, kind))
    stored = storage.save_bytes(AREA, pdf, "application/pdf")
    doc = CaseDocument(case_id=case.id, kind=kind, version=version,
                       stored_name=stored.stored_name, sha256=stored.sha256, size=stored.size,
                       issued_by_id=actor.id)
    db.session.add(doc)
    case.documents.append(doc)
    db.session.flush()
    audit.record("case.document_issue", actor=actor, object_type="case", object_id=case.id,
                 unit_id=case.unit_id, detail={"kind": kind, "version": version,
                                               "sha256": stored.sha256})
    return doc
