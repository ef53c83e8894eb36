"""Case pages: list with filters and export, the roadside form, detail, deadlines."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from core import scoping
from core.errors import DomainError
from core.models import Unit, User
from core.permissions import current_actor, guard
from core.roles import Role
from enforcement.cases import exports, queries, services, workflow
from enforcement.cases.forms import (
    CaseForm,
    CorrectionForm,
    DetentionForm,
    EvidenceForm,
    ReleaseForm,
    ResumeForm,
    SuspensionForm,
    TransitionForm,
)
from enforcement.cases.models import Case, CaseStatus
from enforcement.violations.models import ViolationType
from extensions import db

bp = Blueprint("cases", __name__, url_prefix="/cases")
OFFICERS = (Role.officer, Role.unit_leader)
PAGE = 50


def form_errors(form, exc: DomainError) -> None:
    """Put a service error on the named field (``vehicles.0.plate`` style names included)."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        target = form
        for part in name.split("."):
            if target is None:
                break
            target = target[int(part)] if part.isdigit() and hasattr(target, "entries") \
                else getattr(target, part, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + list(messages)
            placed = True
    if not placed:
        flash(str(exc.message), "danger")


def parse_filter(args) -> queries.CaseFilter:
    def day(name):
        try:
            return dt.date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    officer = args.get("officer", "")
    return queries.CaseFilter(unit=args.get("unit") or None, status=args.get("status") or None,
                              plate=args.get("plate") or None,
                              violation=args.get("violation") or None,
                              officer_id=int(officer) if officer.isdigit() else None,
                              date_from=day("from"), date_to=day("to"))


@bp.route("")
@guard()
def list_cases():
    """Cases in scope, newest first, keyset-paged; ?format=xlsx|csv exports the filtered rows."""
    actor = current_actor()
    stmt = queries.cases_in_scope(actor, parse_filter(request.args))
    fmt = request.args.get("format")
    if fmt in ("xlsx", "csv"):
        return exports.export(stmt, fmt)
    before = request.args.get("before", "")
    if before.isdigit():
        stmt = stmt.where(Case.id < int(before))
    rows = db.session.scalars(queries.list_loads(stmt, people=False)
                              .order_by(Case.id.desc()).limit(PAGE + 1)).all()
    next_before = rows[PAGE - 1].id if len(rows) > PAGE else None
    violations = db.session.scalars(select(ViolationType).order_by(ViolationType.code)).all()
    return render_template("enforcement/case_list.html", cases=rows[:PAGE],
                           next_before=next_before, statuses=list(CaseStatus),
                           violations=violations, can_create=actor.role in OFFICERS)


def _case_form(actor, form: CaseForm, unit_id: int) -> CaseForm:
    violations = db.session.scalars(select(ViolationType).where(ViolationType.is_active)
                                    .order_by(ViolationType.code)).all()
    form.violation_code.choices = [SelectChoice("", "—")] + [
        SelectChoice(v.code, f"{v.code} {v.name_zh}") for v in violations]
    unit = db.session.get(Unit, unit_id)
    officers = db.session.scalars(
        scoping.scoped(select(User), actor, User.unit_id)
        .where(User.role.in_(OFFICERS), User.is_active, User.unit_id == unit.id)
        .order_by(User.full_name)).all()
    form.officer_ids.choices = [SelectChoice(u.id, f"{u.full_name} ({u.cert_no or '—'})")
                                for u in officers]
    return form


def to_input(form: CaseForm) -> services.CaseInput:
    vehicles = [services.VehicleInput(
        plate=v.plate.data, plate_colour=v.plate_colour.data or None, kind=v.kind.data,
        make_model=v.make_model.data, colour=v.colour.data, vin=v.vin.data,
        is_fake_plate=v.is_fake_plate.data) for v in form.vehicles if (v.plate.data or "").strip()]
    parties = [services.PartyInput(
        name=p["name"].data, role=p.role.data,
        id_number=p.id_number.data, phone=p.phone.data, address=p.address.data)
        for p in form.parties if (p["name"].data or "").strip()]
    return services.CaseInput(
        origin=form.origin.data, origin_ref=form.origin_ref.data or None,
        occurred_at=form.occurred_at.data, address=form.address.data,
        lat=float(form.lat.data) if isinstance(form.lat.data, Decimal) else None,
        lng=float(form.lng.data) if isinstance(form.lng.data, Decimal) else None,
        violation_code=form.violation_code.data or None, facts=form.facts.data or "",
        officer_ids=list(form.officer_ids.data or []),
        documents_detained=form.documents_detained.data or None,
        vehicles=vehicles, parties=parties)


@bp.route("/new", methods=["GET", "POST"])
@guard(OFFICERS, write=True)
def create_case():
    """The roadside form: a draft case in the officer's unit."""
    actor = current_actor()
    form = _case_form(actor, CaseForm(), actor.unit_id)
    if request.method == "GET":
        form.occurred_at.data = services.utcnow().astimezone(services.LOCAL).replace(
            second=0, microsecond=0, tzinfo=None)
        form.officer_ids.data = [actor.id]
    if form.validate_on_submit():
        try:
            case = services.create_case(actor=actor, unit=actor.unit, data=to_input(form))
        except DomainError as exc:
            db.session.rollback()
            form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Case %(number)s saved as a draft.", number=case.number), "success")
            return redirect(url_for("cases.show_case", id=case.id))
    return render_template("enforcement/case_form.html", form=form, case=None), \
        (422 if form.errors or request.method == "POST" else 200)


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@guard(OFFICERS, model=Case, write=True)
def edit_case(case: Case):
    """Edit a draft."""
    actor = current_actor()
    form = _case_form(actor, CaseForm(), case.unit_id)
    if request.method == "GET":
        _fill(form, case)
    if form.validate_on_submit():
        try:
            services.update_draft(case, actor=actor, data=to_input(form))
        except DomainError as exc:
            db.session.rollback()
            form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for("cases.show_case", id=case.id))
    return render_template("enforcement/case_form.html", form=form, case=case), \
        (422 if request.method == "POST" else 200)


def _fill(form: CaseForm, case: Case) -> None:
    form.origin.data, form.origin_ref.data = case.origin.value, case.origin_ref
    form.occurred_at.data = case.occurred_at.astimezone(services.LOCAL).replace(tzinfo=None)
    form.address.data, form.facts.data = case.address, case.facts
    form.lat.data = Decimal(str(case.lat)) if case.lat is not None else None
    form.lng.data = Decimal(str(case.lng)) if case.lng is not None else None
    form.violation_code.data = case.violation_type.code if case.violation_type else ""
    form.officer_ids.data = [o.user_id for o in case.officers]
    form.documents_detained.data = case.documents_detained
    for entry, link in zip(form.vehicles, case.vehicles):
        v = link.vehicle
        entry.plate.data, entry.plate_colour.data = v.plate, v.plate_colour.value
        entry.kind.data, entry.make_model.data = v.kind.value, v.make_model
        entry.colour.data, entry.vin.data = v.colour, v.vin
        entry.is_fake_plate.data = link.is_fake_plate
    for entry, link in zip(form.parties, case.parties):
        p = link.person
        entry["name"].data, entry.role.data = p.name, link.role.value
        entry.id_number.data, entry.phone.data, entry.address.data = \
            p.id_number, p.phone, p.address


@bp.route("/<int:id>")
@guard(model=Case)
def show_case(case: Case):
    """The case file: status, clocks, timeline, parties, vehicles, evidence, documents."""
    from enforcement.cases import discretion

    actor = current_actor()
    today = services.today_local()
    detention_form = DetentionForm()
    detention_form.vehicle_id.choices = [SelectChoice(v.vehicle_id, v.vehicle.plate)
                                         for v in case.vehicles]
    return render_template(
        "enforcement/case_detail.html", case=case, today=today,
        transitions=workflow.available(case, actor.role),
        guidance=discretion.guidance_for(case) if case.violation_type else None,
        transition_form=TransitionForm(), correction_form=CorrectionForm(),
        detention_form=detention_form, release_form=ReleaseForm(),
        suspension_form=SuspensionForm(), resume_form=ResumeForm(),
        evidence_form=EvidenceForm(), can_act=actor.role in OFFICERS and case.is_open)


@bp.route("/deadlines")
@guard()
def list_deadlines():
    """Statutory clocks overdue or due within the warning period, per unit and officer."""
    from core import settings

    actor = current_actor()
    today = services.today_local()
    officer = request.args.get("officer", "")
    rows = db.session.execute(queries.clocks_due(
        actor, today=today, within_days=settings.get("deadline.due_soon_days"),
        officer_id=int(officer) if officer.isdigit() else None,
        unit_code=request.args.get("unit") or None).limit(500)).all()
    return render_template("enforcement/deadline_list.html", rows=rows, today=today)


def init_app(app) -> None:
    from enforcement.cases import labels, maps, step_routes  # noqa: F401 - views join bp

    app.register_blueprint(bp)
    labels.init_app(app)
