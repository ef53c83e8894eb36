"""Monitoring pages: recent sightings of listed vehicles (list and map), and the officers'
quick check on a phone."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select

from blacklist import check, forms, queries, rules
from blacklist.models import BlacklistEntry, Sighting, SightingSource
from blacklist.monitoring import record_sighting
from core import settings
from core.base import utcnow
from core.errors import DomainError
from core.permissions import current_actor, guard
from enforcement.cases import maps
from extensions import db

bp = Blueprint("blacklist_watch", __name__, url_prefix="/blacklist")
settings.define("blacklist.sighting_map_days", 30, "days of sightings the monitoring map shows",
                minimum=1)
MAP_LIMIT = 2000


@bp.route("/monitoring")
@guard()
def monitoring():
    """Recent alerts: listed plates entered in cases, tips and checks, with the entry."""
    actor = current_actor()
    rows = db.session.scalars(queries.sightings_in_scope(actor).limit(200)).all()
    m = maps.build_folium_map(center=maps.DEFAULT_CENTER, zoom=maps.DEFAULT_ZOOM,
                              tile_url=current_app.config.get("MAP_TILE_URL") or "",
                              attribution=current_app.config.get("MAP_TILE_ATTRIBUTION") or "")
    config = maps.folium_config(m)
    config["crs"] = "GCJ02" if maps._use_gcj() else "WGS84"
    return render_template("blacklist/monitoring.html", sightings=rows, map_config=config,
                           statuses=forms.STATUS_LABELS, rule_label=rules.rule_label)


@bp.route("/monitoring/data")
@guard()
def monitoring_data():
    """``{"points": [[lat, lng, plate, seen_at, entry_id], ...]}`` of recent located sightings
    in scope (display coordinates)."""
    actor = current_actor()
    since = utcnow() - dt.timedelta(days=settings.get("blacklist.sighting_map_days"))
    stmt = queries.sightings_in_scope(actor).where(Sighting.seen_at >= since,
                                                   Sighting.lat.is_not(None)).limit(MAP_LIMIT)
    gcj = maps._use_gcj()
    points = []
    for s in db.session.scalars(stmt):
        lat, lng = maps._display(s.lat, s.lng, gcj)
        points.append([lat, lng, s.plate, s.seen_at.isoformat(), s.entry_id])
    return jsonify({"points": points})


@bp.route("/check")
@guard()
def quick_check():
    """The quick check for officers on a phone: type a plate (or an ID number), see the answer;
    a listed plate is recorded as a sighting."""
    actor = current_actor()
    plate = request.args.get("plate")
    id_no = request.args.get("id_no")
    result, error = None, None
    try:
        if plate:
            result = check.check_plate(actor, plate)
            if result["listed"]:
                record_sighting(plate=result["query"], source=SightingSource.quick_check,
                                unit_id=actor.unit_id, user_id=actor.id)
                db.session.commit()
        elif id_no:
            result = check.check_id_number(actor, id_no)
    except DomainError as exc:
        error = str(exc.message)
    history = {}
    if result and result["entries"]:
        ids = [e.id for e in result["entries"]]
        for s in db.session.scalars(select(Sighting).where(Sighting.entry_id.in_(ids))
                                    .order_by(Sighting.seen_at.desc()).limit(20)):
            history.setdefault(s.entry_id, []).append(s)
    status = 422 if error else 200
    return render_template("blacklist/quick_check.html", result=result, error=error,
                           plate=(plate or "")[:40], id_no=(id_no or "")[:40], history=history,
                           statuses=forms.STATUS_LABELS, lists=forms.LIST_LABELS,
                           rule_label=rules.rule_label, entry_model=BlacklistEntry), status
