"""Pages of joint actions: list with filters and export, calendar, plan form (warns on rule
breaches), detail with results and a map, approval, results, the stored breaches."""
from __future__ import annotations

import calendar as cal
import datetime as dt
import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from core import queries as core_queries
from core.base import local_today
from core.errors import DomainError
from core.exports import xlsx_response
from core.models import DEPARTMENT_LABELS, Unit
from core.pagination import paginate
from core.permissions import current_actor, guard
from core.roles import ALL_ROLES, Role
from enforcement.cases.routes import form_errors
from enforcement.joint import forms, queries, rules, services, zones
from enforcement.joint.labels import KIND_LABELS, PHASE_LABELS, STATUS_LABELS
from enforcement.joint.mapping import features_for_display, geometry_for_display, map_context
from enforcement.joint.models import ActionStatus, JointAction
from extensions import db

bp = Blueprint("joint", __name__, url_prefix="/joint")
READERS = ALL_ROLES
PLANNERS = (Role.unit_leader, Role.district_office, Role.city_office, Role.admin)
APPROVERS = (Role.unit_leader, Role.district_office, Role.city_office, Role.admin)
RECORDERS = (Role.officer, Role.unit_leader, Role.district_office, Role.city_office, Role.admin)
PAGE = 50


def _filter(args) -> queries.ActionFilter:
    return queries.ActionFilter(kind=args.get("kind") or None, status=args.get("status") or None,
                                unit=args.get("unit") or None, month=args.get("month") or None,
                                breaches=args.get("breaches") == "1")


def _local(value):
    return value.astimezone(rules.LOCAL).replace(tzinfo=None) if value else None


def _export(stmt):
    headers = [_("No."), _("Name"), _("Kind"), _("Status"), _("Lead unit"), _("Planned start"),
               _("Planned end"), _("People"), _("Vehicles checked"), _("Vehicles detained"),
               _("Fines (yuan)"), _("Violent-resistance incidents"), _("Media reports"),
               _("Rule breaches")]
    rows = ([a.id, a.name, str(KIND_LABELS[a.kind]), str(STATUS_LABELS[a.status]), a.unit.name,
             _local(a.planned_start), _local(a.planned_end), a.headcount, a.vehicles_checked,
             a.vehicles_detained, a.fines, a.violent_incidents, a.media_reports,
             "; ".join(rules.describe(b.rule, b.detail) for b in a.breaches)]
            for a in db.session.scalars(stmt.order_by(JointAction.planned_start)))
    return xlsx_response(_("joint actions") + ".xlsx", _("Joint actions"), headers, rows)


@bp.route("/actions")
@guard(READERS)
def list_actions():
    """Joint actions in scope, newest first; ?kind= ?status= ?unit= ?month= ?format=xlsx."""
    actor = current_actor()
    stmt = queries.actions_in_scope(actor, _filter(request.args))
    if request.args.get("format") == "xlsx":
        return _export(stmt)
    page = paginate(stmt.order_by(JointAction.planned_start.desc(), JointAction.id.desc()),
                    request.args.get("page"), PAGE)
    return render_template("joint/action_list.html", actions=page.items, page=page,
                           kinds=KIND_LABELS,
                           statuses=STATUS_LABELS, can_plan=actor.role in PLANNERS)


@bp.route("/actions/calendar")
@guard(READERS)
def calendar():
    """The month's actions on a calendar (?month=YYYY-MM, default this month)."""
    month = request.args.get("month") or local_today().strftime("%Y-%m")
    bounds = queries.month_bounds(month)
    if bounds is None:
        month = local_today().strftime("%Y-%m")
        bounds = queries.month_bounds(month)
    first = bounds[0].date()
    f = _filter(request.args)
    f.month = month
    actions = db.session.scalars(queries.actions_in_scope(current_actor(), f)
                                 .order_by(JointAction.planned_start)).all()
    weeks = []
    for week in cal.Calendar().monthdatescalendar(first.year, first.month):
        weeks.append([(day, day.month == first.month, [
            a for a in actions if _local(a.start).date() <= day <= _local(a.end).date()])
            for day in week])
    prev_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    next_month = (bounds[1].date()).strftime("%Y-%m")
    return render_template("joint/action_calendar.html", weeks=weeks, month=month,
                           prev_month=prev_month, next_month=next_month, kinds=KIND_LABELS)


def _choices(form: forms.ActionForm, actor) -> None:
    form.host_unit_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(u.id, f"{u.code} {u.name}") for u in services.area_units(actor)]
    form.zone_ids.choices = [SelectChoice(z.id, f"{z.name} ({z.unit.name})")
                             for z in db.session.scalars(zones.zones_in_scope(actor))]


def _warnings(action: JointAction | None, form: forms.ActionForm) -> list[str]:
    """The rules the plan in the form breaks (shown before and after saving)."""
    if action is not None and not form.is_submitted():
        return [rules.describe(b.rule, b.detail) for b in action.breaches]
    return []


@bp.route("/actions/new", methods=["GET", "POST"])
@guard(PLANNERS, write=True)
def new_action():
    """Plan an action for the actor's unit; breaches of the rules are stored and shown."""
    actor = current_actor()
    form = forms.ActionForm()
    _choices(form, actor)
    warnings = []
    if form.validate_on_submit():
        try:
            data = forms.action_input(form)
            if request.form.get("check"):  # check the rules only, save nothing
                warnings = [rules.describe(b.rule, b.detail) for b in
                            services.preview_breaches(actor=actor, unit=actor.unit, data=data)]
                return render_template("joint/action_form.html", form=form, action=None,
                                       **map_context(), warnings=warnings,
                                       checked=True)
            action = services.plan_action(actor=actor, unit=actor.unit, data=data)
        except DomainError as exc:
            db.session.rollback()
            form_errors(form, exc)
        else:
            db.session.commit()
            _flash_breaches(action)
            return redirect(url_for("joint.show_action", id=action.id))
    status = 422 if request.method == "POST" else 200
    return render_template("joint/action_form.html", form=form, action=None,
                           **map_context(), warnings=warnings), status


def _flash_breaches(action: JointAction) -> None:
    for b in action.breaches:
        flash(_("Warning: %(rule)s", rule=rules.describe(b.rule, b.detail)), "warning")
    if not action.breaches:
        flash(_("Saved."), "success")


@bp.route("/actions/<int:id>/edit", methods=["GET", "POST"])
@guard(PLANNERS, model=JointAction, arg="action", write=True)
def edit_action(action: JointAction):
    """Change a plan that is not approved yet."""
    actor = current_actor()
    form = forms.ActionForm(obj=None if request.method == "POST" else _form_data(action))
    _choices(form, actor)
    if form.validate_on_submit():
        try:
            services.update_plan(action, actor=actor, data=forms.action_input(form))
        except DomainError as exc:
            db.session.rollback()
            form_errors(form, exc)
            action = db.session.get(JointAction, action.id)
        else:
            db.session.commit()
            _flash_breaches(action)
            return redirect(url_for("joint.show_action", id=action.id))
    status = 422 if request.method == "POST" else 200
    return render_template("joint/action_form.html", form=form, action=action,
                           **map_context(),
                           warnings=_warnings(action, form)), status


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def _form_data(action: JointAction):
    return _Obj(kind=action.kind.value, name=action.name, description=action.description,
                planned_start=_local(action.planned_start), planned_end=_local(action.planned_end),
                host_unit_id=action.host_unit_id or 0,
                participants="\n".join(f"{p.unit.code} {p.headcount} {p.department.value}"
                                       for p in action.participants),
                phases="\n".join(f"{p.kind.value} {p.starts_on} {p.ends_on}"
                                 for p in action.phases),
                zone_ids=[a.zone_id for a in action.areas if a.zone_id],
                drawn_area=next((json.dumps(geometry_for_display(a.geojson))
                                 for a in action.areas if a.geojson), ""))


def _features(action: JointAction, cases) -> dict:
    features = []
    for area in action.areas:
        geometry = area.zone.geojson if area.zone else area.geojson
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"name": area.name, "kind": "area"}})
    for case in cases:
        if case.lat is not None:
            features.append({"type": "Feature", "geometry": {
                "type": "Point", "coordinates": [case.lng, case.lat]},
                "properties": {"name": case.number, "kind": "case"}})
    return features_for_display({"type": "FeatureCollection", "features": features})


def _detail(action: JointAction, status: int = 200, results=None):
    actor = current_actor()
    lead = services.is_lead(action, actor)
    cases = services.linked_cases(action)
    if results is None:
        results = forms.ResultsForm(formdata=None, obj=_Obj(
            actual_start=_local(action.actual_start or action.planned_start),
            actual_end=_local(action.actual_end or action.planned_end),
            vehicles_checked=action.vehicles_checked, vehicles_detained=action.vehicles_detained,
            fines=action.fines, violent_incidents=action.violent_incidents,
            media_reports=action.media_reports, note=action.results_note,
            case_numbers="\n".join(c.number for c in cases)))
    return render_template(
        "joint/action_detail.html", action=action, cases=cases, kinds=KIND_LABELS,
        statuses=STATUS_LABELS, phases=PHASE_LABELS, departments=DEPARTMENT_LABELS,
        breaches=[rules.describe(b.rule, b.detail) for b in action.breaches],
        results=results, plain=forms.PlainForm(formdata=None), **map_context(),
        features=_features(action, cases),
        can_edit=lead and actor.role in PLANNERS and action.status is ActionStatus.planned,
        can_approve=lead and actor.role in APPROVERS and action.status is ActionStatus.planned,
        can_record=lead and actor.role in RECORDERS and action.status in (ActionStatus.approved,
                                                                 ActionStatus.completed)), status


@bp.route("/actions/<int:id>")
@guard(READERS, model=JointAction, arg="action")
def show_action(action: JointAction):
    """One action: plan, breaches, areas and linked cases on a map, results."""
    return _detail(action)


def _step(action: JointAction, call):
    form = forms.PlainForm()
    if not form.validate_on_submit():
        return _detail(action, 400)
    try:
        call()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("joint.show_action", id=action.id))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("joint.show_action", id=action.id))


@bp.route("/actions/<int:id>/approve", methods=["POST"])
@guard(APPROVERS, model=JointAction, arg="action", write=True)
def approve_action(action: JointAction):
    """Approve the plan."""
    return _step(action, lambda: services.approve(action, actor=current_actor()))


@bp.route("/actions/<int:id>/cancel", methods=["POST"])
@guard(APPROVERS, model=JointAction, arg="action", write=True)
def cancel_action(action: JointAction):
    """Cancel a planned or approved action."""
    return _step(action, lambda: services.cancel(action, actor=current_actor()))


@bp.route("/actions/<int:id>/results", methods=["POST"])
@guard(RECORDERS, model=JointAction, arg="action", write=True)
def record_results(action: JointAction):
    """Record the results (and linked cases) of an approved action."""
    form = forms.ResultsForm()
    if not form.validate_on_submit():
        return _detail(action, 422, results=form)
    try:
        services.record_results(action, actor=current_actor(), data=forms.results_input(form))
    except DomainError as exc:
        db.session.rollback()
        form_errors(form, exc)
        return _detail(db.session.get(JointAction, action.id), exc.status, results=form)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("joint.show_action", id=action.id))


@bp.route("/breaches")
@guard(READERS)
def list_breaches():
    """The stored rule breaches in scope (?period=YYYY-MM, ?format=xlsx), for the assessments."""
    actor = current_actor()
    stmt = queries.breaches_in_scope(actor, request.args.get("period") or None)
    rows = db.session.scalars(stmt.limit(1000)).all()
    if request.args.get("format") == "xlsx":
        return xlsx_response(_("rule breaches") + ".xlsx", _("Rule breaches"),
                             [_("Period"), _("Unit"), _("Rule"), _("Action")],
                             [[b.period, b.unit.name, rules.describe(b.rule, b.detail),
                               b.action_id] for b in rows])
    return render_template("joint/breach_list.html", breaches=rows, describe=rules.describe)


def units_for_select(actor) -> list[Unit]:
    return list(db.session.scalars(core_queries.units_in_scope(actor)))

