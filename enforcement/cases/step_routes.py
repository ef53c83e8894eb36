"""Case actions: workflow steps, corrections, measures, evidence and document downloads."""
from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _

from core import storage
from core.errors import DomainError
from core.permissions import current_actor, guard
from enforcement.cases import measures, services
from enforcement.cases.forms import (
    CorrectionForm,
    DetentionForm,
    EvidenceForm,
    ReleaseForm,
    ResumeForm,
    SuspensionForm,
    TransitionForm,
)
from enforcement.cases.models import Case, CaseDocument, Evidence
from enforcement.cases.routes import OFFICERS, bp
from extensions import db

TRANSITION_FIELDS = ("proposed_fine", "confiscated_amount", "penalty_justification",
                     "fine_amount", "statement_waived", "paid_on", "receipt_no",
                     "court_enforcement_on", "transferred_to")


def _done(case: Case, call, success: str):
    """Run one service call for a form post: commit and flash, or roll back and explain."""
    try:
        call()
    except DomainError as exc:
        db.session.rollback()
        messages = [m for msgs in (exc.fields or {}).values() for m in msgs] or [str(exc.message)]
        for message in dict.fromkeys(messages):
            flash(message, "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("cases.show_case", id=case.id))


def _invalid(case: Case, form):
    for name, errors in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        flash(f"{label.text if label else name}: {'; '.join(map(str, errors))}", "danger")
    return redirect(url_for("cases.show_case", id=case.id))


@bp.route("/<int:id>/transition", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def take_transition(case: Case):
    """Take a workflow step (the step's own role and preconditions are checked)."""
    form = TransitionForm()
    if not form.validate_on_submit():
        return _invalid(case, form)
    payload = {k: getattr(form, k).data for k in TRANSITION_FIELDS}
    return _done(case, lambda: services.transition(
        case, actor=current_actor(), to=form.to.data, note=form.note.data or "",
        payload=payload), _("Step recorded."))


@bp.route("/<int:id>/correct", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def correct_case(case: Case):
    """Record a correction (a new step keeping the old values)."""
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _invalid(case, form)
    changes = {k: getattr(form, k).data for k in ("address", "facts")
               if (getattr(form, k).data or "").strip()}
    return _done(case, lambda: services.correct(case, actor=current_actor(), changes=changes,
                                                note=form.note.data), _("Correction recorded."))


@bp.route("/<int:id>/detentions", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def detain_vehicle(case: Case):
    """Record a vehicle detained."""
    form = DetentionForm()
    form.vehicle_id.choices = [(v.vehicle_id, v.vehicle.plate) for v in case.vehicles]
    if not form.validate_on_submit():
        return _invalid(case, form)
    return _done(case, lambda: measures.detain(
        case, actor=current_actor(), vehicle_id=form.vehicle_id.data,
        detained_on=form.detained_on.data, storage_lot=form.storage_lot.data),
        _("Detention recorded."))


@bp.route("/<int:id>/detentions/<int:detention_id>/extend", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def extend_detention(case: Case, detention_id: int):
    """Approve the one extension of a detention."""
    return _done(case, lambda: measures.extend_detention(
        case, actor=current_actor(), detention_id=detention_id,
        note=request.form.get("note", "")), _("Detention extended."))


@bp.route("/<int:id>/detentions/<int:detention_id>/release", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def release_vehicle(case: Case, detention_id: int):
    """Record the release of a detained vehicle."""
    form = ReleaseForm()
    if not form.validate_on_submit():
        return _invalid(case, form)
    return _done(case, lambda: measures.release(
        case, actor=current_actor(), detention_id=detention_id,
        released_on=form.released_on.data), _("Release recorded."))


@bp.route("/<int:id>/suspend", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def suspend_case(case: Case):
    """Suspend the decision clock (e.g. during a hearing)."""
    form = SuspensionForm()
    if not form.validate_on_submit():
        return _invalid(case, form)
    return _done(case, lambda: measures.suspend(case, actor=current_actor(),
                                                reason=form.reason.data,
                                                start_on=form.start_on.data),
                 _("Suspension recorded."))


@bp.route("/<int:id>/resume", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def resume_case(case: Case):
    """End the suspension; the decision clock moves by the suspended days."""
    form = ResumeForm()
    if not form.validate_on_submit():
        return _invalid(case, form)
    return _done(case, lambda: measures.resume(case, actor=current_actor(),
                                               end_on=form.end_on.data),
                 _("Suspension ended."))


@bp.route("/<int:id>/evidence", methods=["POST"])
@guard(OFFICERS, model=Case, write=True)
def upload_evidence(case: Case):
    """Upload an evidence file (kept unchanged; type checked from its content)."""
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _invalid(case, form)
    upload = form.file.data
    return _done(case, lambda: measures.add_evidence(
        case, actor=current_actor(), stream=upload.stream, original_name=upload.filename,
        description=form.description.data), _("Evidence stored."))


def _send(area: str, stored_name: str, mime: str, download_name: str):
    path = storage.path_of(area, stored_name)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=mime, as_attachment=True, download_name=download_name,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/evidence/<int:id>")
@guard(model=Evidence)
def download_evidence(evidence: Evidence):
    """Download an evidence file, as an attachment, after the scope check."""
    return _send("evidence", evidence.stored_name, evidence.mime, evidence.original_name)


@bp.route("/documents/<int:id>")
@guard(model=CaseDocument, arg="document")
def download_document(document: CaseDocument):
    """Download an issued document (the frozen PDF)."""
    name = f"{document.case.number}-{document.kind}-v{document.version}.pdf"
    return _send("documents", document.stored_name, "application/pdf", name)
