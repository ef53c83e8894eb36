"""Blacklist pages for staff: the list, nomination, an entry with its history and steps,
objections, running the rules. Publication, monitoring and public pages live beside this."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from blacklist import ending, forms, nomination, queries, rules, services
from blacklist.models import BlacklistEntry, EntryStatus, ListKind, Objection
from core import scoping
from core.errors import DomainError
from core.pagination import paginate
from core.permissions import current_actor, guard
from core.roles import Role
from enforcement.cases.models import Case
from extensions import db

bp = Blueprint("blacklist", __name__, url_prefix="/blacklist")
LEADERS = (Role.unit_leader,)
OFFICES = (Role.district_office, Role.city_office)
NOMINATORS = (Role.unit_leader, Role.district_office, Role.city_office)
STEP_ROLES = (Role.unit_leader, Role.district_office, Role.city_office)


def _labels() -> dict:
    return {"statuses": forms.STATUS_LABELS, "lists": forms.LIST_LABELS,
            "subjects": forms.SUBJECT_LABELS, "events": forms.EVENT_LABELS,
            "objection_statuses": forms.OBJECTION_LABELS, "rule_label": rules.rule_label,
            "step_labels": forms.STEPS}


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    flash(str(exc.message), "danger")


@bp.route("/")
@guard()
def index():
    """The entries in scope (and every published one), with filters and the waiting queues."""
    actor = current_actor()
    f = queries.EntryFilter(status=request.args.get("status"),
                            list_kind=request.args.get("list"),
                            subject=request.args.get("subject"), q=request.args.get("q"),
                            waiting=request.args.get("waiting"))
    if request.args.get("format") == "xlsx":
        return _export(queries.entries_in_scope(actor, f))
    page = paginate(queries.entries_in_scope(actor, f), request.args.get("page"))
    return render_template("blacklist/entry_list.html", page=page, f=f,
                           can_nominate=actor.role in NOMINATORS,
                           can_run=actor.role in OFFICES, run_form=forms.ActionForm(),
                           **_labels())


EXPORT_LIMIT = 100_000


def _export(stmt):
    """The filtered entries as XLSX for staff (not public: unmasked, scoped like the list)."""
    from core.exports import xlsx_response

    headers = [_("Entry"), _("List"), _("Subject"), _("Plate number"), _("Full name"),
               _("ID number"), _("Key area"), _("Rule"), _("Status"), _("Listed from"),
               _("Until"), _("Unit")]
    rows = ([e.id, str(forms.LIST_LABELS[e.list_kind]), str(forms.SUBJECT_LABELS[e.subject_kind]),
             e.plate or "", e.person_name or "", e.id_number or "", e.area_name or "",
             rules.rule_label(e.rule_code), str(forms.STATUS_LABELS[e.status]),
             e.starts_on.isoformat() if e.starts_on else "",
             e.ends_on.isoformat() if e.ends_on else "", e.unit.name]
            for e in db.session.scalars(stmt.limit(EXPORT_LIMIT)))
    return xlsx_response("blacklist.xlsx", _("Blacklist"), headers, rows)


def _case_ids(actor, text: str) -> list[int]:
    numbers = [n.strip() for n in (text or "").replace("，", ",").split(",") if n.strip()]
    ids = []
    for number in numbers[:50]:
        case = db.session.scalar(select(Case).where(Case.number == number))
        if case is None or not scoping.in_scope(actor, case):
            raise DomainError(_("Unknown case number %(n)s.", n=number), field="case_numbers")
        ids.append(case.id)
    return ids


@bp.route("/new", methods=["GET", "POST"])
@guard(NOMINATORS, write=True)
def new_entry():
    """Nominate a vehicle, a person or a key area, with the cases as reasons."""
    actor = current_actor()
    form = forms.NominationForm()
    if form.validate_on_submit():
        try:
            data = services.NominationInput(
                subject=services.SubjectInput(
                    kind=form.subject_kind.data, plate=form.plate.data or "",
                    plate_colour=form.plate_colour.data or "", name=form.name.data or "",
                    id_number=form.id_number.data or "", phone=form.phone.data or "",
                    area_name=form.area_name.data or "", lat=form.lat.data, lng=form.lng.data),
                reason=form.reason.data or "", case_ids=_case_ids(actor, form.case_numbers.data),
                list_kind=form.list_kind.data, is_serious=form.is_serious.data)
            entry = services.nominate(data, actor=actor, unit=actor.unit)
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "", None)
            if target is not None and hasattr(target, "errors"):
                target.errors = list(target.errors) + [str(exc.message)]
            else:
                flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("The nomination has been sent to the unit leader."), "success")
            return redirect(url_for("blacklist.show_entry", id=entry.id))
    return render_template("blacklist/entry_form.html", form=form), \
        422 if form.errors else 200


@bp.route("/<int:id>")
@guard(model=BlacklistEntry, arg="entry")
def show_entry(entry: BlacklistEntry):
    """One entry: subject, reasons, period, who approved each step, objections, history."""
    actor = current_actor()
    own = scoping.is_citywide(actor) or scoping.can_see_unit(actor, entry.unit)
    steps = _available_steps(actor, entry) if own else []
    return render_template("blacklist/entry_detail.html", entry=entry, steps=steps,
                           step_form=forms.StepForm(), objection_form=forms.ObjectionForm(),
                           review_form=forms.ReviewForm(), own=own,
                           can_object=own and actor.role in STEP_ROLES
                           and entry.status is EntryStatus.notified,
                           can_review=own and actor.role in OFFICES,
                           in_objection=services.in_objection_period(entry), **_labels())


def _available_steps(actor, entry: BlacklistEntry) -> list[str]:
    role, status = actor.role, entry.status
    out = []
    if status is EntryStatus.nominated:
        if role in LEADERS and entry.leader_approved_at is None:
            out.append("leader_approve")
        if role in OFFICES and entry.leader_approved_at and entry.office_approved_at is None \
                and entry.list_kind is ListKind.blacklist:
            out.append("office_approve")
        if role in STEP_ROLES and entry.office_approved_at:
            out.append("notify")
        if role in STEP_ROLES:
            out.append("reject")
    if status is EntryStatus.notified and role in OFFICES:
        out.append("list")
    if status in (EntryStatus.listed, EntryStatus.published) and role in OFFICES:
        out.append("remove_early")
    if status not in (EntryStatus.expired, EntryStatus.removed) and role in OFFICES:
        out.append("revoke")
    return out


@bp.route("/<int:id>/steps", methods=["POST"])
@guard(STEP_ROLES, model=BlacklistEntry, arg="entry", write=True)
def take_step(entry: BlacklistEntry):
    """Take one step of the process (approve, notify, list, reject, revoke, remove early)."""
    actor = current_actor()
    form = forms.StepForm()
    if not scoping.can_see_unit(actor, entry.unit) and not scoping.is_citywide(actor):
        return render_template("errors/error.html", status=404, message=_("Not found.")), 404
    if not form.validate_on_submit():
        flash(_("The step could not be read; try again."), "danger")
        return redirect(url_for("blacklist.show_entry", id=entry.id))
    step, note = form.step.data, form.note.data or ""
    actions = {
        "leader_approve": lambda: services.approve_by_leader(entry, actor=actor, note=note),
        "office_approve": lambda: services.approve_by_office(entry, actor=actor, note=note),
        "reject": lambda: services.reject(entry, actor=actor, reason=note),
        "notify": lambda: services.notify(entry, actor=actor,
                                          notified_on=form.notified_on.data),
        "list": lambda: services.list_entry(entry, actor=actor),
        "revoke": lambda: ending.revoke(entry, actor=actor, reason=note),
        "remove_early": lambda: ending.remove_early(entry, actor=actor, reason=note),
    }
    if step not in actions:
        flash(_("Unknown step."), "danger")
        return redirect(url_for("blacklist.show_entry", id=entry.id))
    try:
        actions[step]()
    except DomainError as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(_("Done: %(step)s.", step=forms.STEPS[step]), "success")
    return redirect(url_for("blacklist.show_entry", id=entry.id))


@bp.route("/<int:id>/objections", methods=["POST"])
@guard(STEP_ROLES, model=BlacklistEntry, arg="entry", write=True)
def add_objection(entry: BlacklistEntry):
    """Record the party's objection, received within the objection period."""
    actor = current_actor()
    form = forms.ObjectionForm()
    if not scoping.can_see_unit(actor, entry.unit):
        return render_template("errors/error.html", status=404, message=_("Not found.")), 404
    if form.validate_on_submit():
        try:
            services.file_objection(entry, actor=actor, grounds=form.grounds.data or "",
                                    received_on=form.received_on.data)
        except DomainError as exc:
            _fail(exc)
        else:
            db.session.commit()
            flash(_("The objection has been recorded."), "success")
    return redirect(url_for("blacklist.show_entry", id=entry.id))


@bp.route("/objections/<int:id>/review", methods=["POST"])
@guard(OFFICES, model=Objection, write=True)
def review_objection(objection: Objection):
    """Uphold or reject an objection, with reasons."""
    form = forms.ReviewForm()
    if form.validate_on_submit():
        try:
            services.review_objection(objection, actor=current_actor(),
                                      upheld=form.decision.data == "upheld",
                                      reason=form.reason.data or "")
        except DomainError as exc:
            _fail(exc)
        else:
            db.session.commit()
            flash(_("The objection has been reviewed."), "success")
    return redirect(url_for("blacklist.show_entry", id=objection.entry_id))


@bp.route("/rules/run", methods=["POST"])
@guard(OFFICES, write=True)
def run_rules():
    """Run the nomination rules now on the cases of the office's area."""
    actor = current_actor()
    form = forms.ActionForm()
    if form.validate_on_submit():
        units = None if scoping.is_citywide(actor) else db.session.scalars(
            scoping.subtree_ids(actor)).all()
        result = nomination.run_rules(units=units)
        db.session.commit()
        flash(_("Rules run: %(n)s new nominations.", n=result["nominated"]), "success")
    return redirect(url_for("blacklist.index", waiting="leader"))


def init_app(app) -> None:
    from blacklist import api, cli, jobs, monitor_routes, public, sighting_writer
    from core.api import api as core_api

    app.register_blueprint(bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(monitor_routes.bp)
    api.init_app(core_api)
    cli.register(app)
    jobs.init_app(app)
    sighting_writer.init_app(app)
