"""Pages of strict-control zones: list, drawing page (new and edit), zone page with its marked
cases over time."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from core import scoping
from core.base import local_today
from core.errors import DomainError
from core.exports import xlsx_response
from core.permissions import current_actor, guard
from core.roles import ALL_ROLES, Role
from enforcement.cases.models import Case
from enforcement.cases.routes import form_errors
from enforcement.joint import forms, zones
from enforcement.joint.mapping import features_for_display, geometry_for_display, map_context
from enforcement.joint.models import Zone
from enforcement.joint.routes import units_for_select
from enforcement.tips.models import Tip
from extensions import db

bp = Blueprint("zones", __name__, url_prefix="/joint/zones")
EDITORS = (Role.district_office, Role.city_office, Role.admin)
MONTHS_SHOWN = 12


@bp.route("")
@guard(ALL_ROLES)
def list_zones():
    """Strict-control zones in scope with their hours and responsible unit (?format=xlsx)."""
    actor = current_actor()
    rows = db.session.scalars(zones.zones_in_scope(actor)).all()
    if request.args.get("format") == "xlsx":
        return xlsx_response(_("zones") + ".xlsx", _("Strict-control zones"),
                             [_("Name"), _("Responsible unit"), _("Responsible department or post"),
                              _("Hours (1 = Monday … 7 = Sunday)")],
                             [[z.name, z.unit.name, z.responsible_department or "",
                               zones.format_windows(z)] for z in rows])
    features = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": z.geojson, "properties": {"name": z.name,
                                                                  "kind": "area"}}
        for z in rows]}
    return render_template("joint/zone_list.html", zones=rows, format_windows=zones.format_windows,
                           can_edit=actor.role in EDITORS, **map_context(),
                           features=features_for_display(features))


def _form_page(form, zone, status=200):
    features = {"type": "FeatureCollection", "features": [] if zone is None else [
        {"type": "Feature", "geometry": zone.geojson, "properties": {"name": zone.name,
                                                                     "kind": "area"}}]}
    return render_template("joint/zone_form.html", form=form, zone=zone,
                           **map_context(),
                           features=features_for_display(features)), status


def _unit_choices(form, actor):
    form.unit_id.choices = [SelectChoice(u.id, f"{u.code} {u.name}")
                            for u in units_for_select(actor)]


@bp.route("/new", methods=["GET", "POST"])
@guard(EDITORS, write=True)
def new_zone():
    """Draw a zone on the map, give its hours and its responsible unit."""
    actor = current_actor()
    form = forms.ZoneForm()
    _unit_choices(form, actor)
    if form.validate_on_submit():
        try:
            unit = scoping.require_unit_in_scope(actor, form.unit_id.data) \
                if form.unit_id.data else actor.unit
            zone = zones.create_zone(actor=actor, unit=unit, data=forms.zone_input(form))
        except DomainError as exc:
            db.session.rollback()
            form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("zones.show_zone", id=zone.id))
    return _form_page(form, None, 422 if request.method == "POST" else 200)


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@guard(EDITORS, model=Zone, write=True)
def edit_zone(zone: Zone):
    """Redraw a zone or change its hours or responsible unit."""
    import json

    actor = current_actor()
    form = forms.ZoneForm(obj=None if request.method == "POST" else zone,
                          data=None if request.method == "POST" else {
                              "geojson": json.dumps(geometry_for_display(zone.geojson)),
                              "windows": zones.format_windows(zone)})
    _unit_choices(form, actor)
    if form.validate_on_submit():
        try:
            unit = scoping.require_unit_in_scope(actor, form.unit_id.data) \
                if form.unit_id.data else None
            zones.update_zone(zone, actor=actor, data=forms.zone_input(form), unit=unit)
        except DomainError as exc:
            db.session.rollback()
            form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("zones.show_zone", id=zone.id))
    return _form_page(form, zone, 422 if request.method == "POST" else 200)


@bp.route("/<int:id>")
@guard(ALL_ROLES, model=Zone)
def show_zone(zone: Zone):
    """A zone: its polygon, hours, responsible unit, and its marked cases month by month."""
    actor = current_actor()
    counts = zones.monthly_counts(zone, months=MONTHS_SHOWN, today=local_today(), actor=actor)
    recent = zones.marked(Case, zone, actor=actor)[-50:][::-1]
    tips = len(zones.marked(Tip, zone, actor=actor))
    peak = max([n for _m, n in counts] + [1])
    features = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": zone.geojson, "properties": {"name": zone.name,
                                                                     "kind": "area"}}] + [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lng, c.lat]},
         "properties": {"name": c.number, "kind": "case"}} for c in recent]}
    return render_template("joint/zone_detail.html", zone=zone, counts=counts, peak=peak,
                           cases=recent, tips=tips, windows=zones.format_windows(zone),
                           can_edit=actor.role in EDITORS, **map_context(),
                           features=features_for_display(features))
