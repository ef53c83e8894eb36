"""The case map: a Leaflet page served from the app's own static files, and its JSON data.

How folium is used: folium (the mandated map library) builds the map *configuration* on the server
— the centre, the start zoom or the bounds to fit, and the tile layer with its attribution — and
that configuration is read back from the folium objects and handed to the page as one JSON
``data-config`` attribute. folium's own HTML is never rendered: it would load Leaflet, jQuery and
Bootstrap from CDNs and put the map in an inline ``<script>``, which the intranet (no internet)
and the CSP (``script-src 'self'``) both forbid. The page loads Leaflet and its plugins from
``/static/vendor/`` and ``static/js/case_map.js`` draws the map from that configuration.

The data endpoint answers either the case points (few cases in the view: clustered markers) or
grid cells aggregated in SQL (many cases: a heat map), so that a million cases stay small.
Coordinates are stored in WGS-84; when the tiles are GCJ-02 (Chinese providers), everything sent
to the page is converted, and the view box received from the page converted back.
"""
from __future__ import annotations

import math
from typing import Optional
from urllib.parse import urlsplit

import folium
from flask import current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from folium.utilities import camelize
from markupsafe import escape
from shapely.errors import GEOSException
from shapely.geometry import mapping, shape
from sqlalchemy import Float, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core import scoping
from core.errors import DomainError, error_body
from core.models import Unit
from core.permissions import current_actor, guard
from enforcement.cases import queries
from enforcement.cases.models import Case, CaseStatus
from enforcement.cases.routes import bp, parse_filter
from enforcement.violations.models import ViolationType
from extensions import db

DEFAULT_POINT_LIMIT = 2000
DEFAULT_CENTER = (29.563, 106.551)  # Chongqing, used when nothing else gives a view
DEFAULT_ZOOM = 11
MAX_ZOOM = 18
# A grid cell is about 16 screen pixels at the requested zoom: 360° / 256 px * 16 px at zoom 0,
# halved per zoom level; cell sizes are always 22.5° / 2**k so the grid stays put while panning.
BASE_CELL_DEG = 22.5
CELL_KEY_SHIFT = 2**30  # SQLite's one grouping key: row * 2**30 + column
MAX_CELLS = 5000  # per answer: the cell size grows when the view box would need more
BOUNDARY_TOLERANCE_DEG = 0.0001  # about 10 m: unit boundaries are simplified for drawing


class MapParamError(DomainError):
    """A malformed ``bbox`` or ``zoom``: a 400 in the application's JSON error format."""

    status = 400
    code = "bad_request"


# --- WGS-84 → GCJ-02 ------------------------------------------------------------------------

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the published GCJ-02 algorithm
_EE = 0.00669342162296594323


def out_of_china(lat: float, lng: float) -> bool:
    """The bounding box outside which GCJ-02 leaves coordinates unchanged."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) \
        * 2.0 / 3.0
    return ret


def _delta_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) \
        * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """Convert a WGS-84 point to GCJ-02 (the standard published transform); outside China the
    point is returned unchanged."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat = _delta_lat(lng - 105.0, lat - 35.0)
    dlng = _delta_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The inverse, by fixed-point iteration (the offset varies slowly: a few steps reach
    centimetres); outside China the point is returned unchanged."""
    if out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(6):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        wlat, wlng = wlat - (glat - lat), wlng - (glng - lng)
    return wlat, wlng


def _use_gcj() -> bool:
    return str(current_app.config.get("MAP_TILE_CRS", "WGS84")).upper() == "GCJ02"


def _display(lat: float, lng: float, gcj: bool) -> tuple[float, float]:
    return wgs84_to_gcj02(lat, lng) if gcj else (lat, lng)


def _geojson_to_display(coords, gcj: bool):
    """Convert GeoJSON coordinates ([lng, lat] nested at any depth) for display."""
    if coords and isinstance(coords[0], (int, float)):
        lat, lng = _display(coords[1], coords[0], gcj)
        return [round(lng, 6), round(lat, 6)]
    return [_geojson_to_display(c, gcj) for c in coords]


# --- request parameters ---------------------------------------------------------------------

BBOX_MESSAGE = _l("bbox must be four numbers: minLng,minLat,maxLng,maxLat.")
ZOOM_MESSAGE = _l("zoom must be a number from 0 to %(max)d.", max=24)


def parse_bbox(raw: Optional[str]) -> Optional[tuple[float, float, float, float]]:
    """``minLng,minLat,maxLng,maxLat`` (display coordinates) or None when absent.

    Malformed values (not four finite numbers, or min above max) are refused; values beyond the
    world (a zoomed-out view that wraps) are clamped to ±180 / ±90."""
    if raw is None or not raw.strip():
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise MapParamError(BBOX_MESSAGE, field="bbox") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise MapParamError(BBOX_MESSAGE, field="bbox")
    min_lng, min_lat, max_lng, max_lat = values
    if min_lng > max_lng or min_lat > max_lat:
        raise MapParamError(BBOX_MESSAGE, field="bbox")

    def clamp(v, limit):
        return max(-limit, min(limit, v))

    return clamp(min_lng, 180), clamp(min_lat, 90), clamp(max_lng, 180), clamp(max_lat, 90)


def parse_zoom(raw: Optional[str]) -> Optional[int]:
    """A Leaflet zoom level (fractional zooms are rounded down), or None when absent."""
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise MapParamError(ZOOM_MESSAGE, field="zoom") from None
    if not math.isfinite(value) or not 0 <= value <= 24:
        raise MapParamError(ZOOM_MESSAGE, field="zoom")
    return int(value)


def bbox_to_wgs(bbox, gcj: bool):
    """The page's view box (GCJ-02 when the tiles are) as a WGS-84 box for the query."""
    if bbox is None or not gcj:
        return bbox
    s, w = gcj02_to_wgs84(bbox[1], bbox[0])
    n, e = gcj02_to_wgs84(bbox[3], bbox[2])
    return w, s, e, n


# --- queries ----------------------------------------------------------------------------------

class grid_floor(FunctionElement):
    """``floor(x)`` for x >= 0: ``floor()`` on PostgreSQL (and others); on SQLite, whose math
    functions are optional, ``CAST(x AS INTEGER)`` (64-bit), which truncates — the same for
    non-negative x. Callers shift coordinates by +90 / +180 to keep x non-negative."""

    type = Float()
    name = "grid_floor"
    inherit_cache = True


@compiles(grid_floor)
def _grid_floor_default(element, compiler, **kw):
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(grid_floor, "sqlite")
def _grid_floor_sqlite(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


def cell_size(zoom: Optional[int], bbox) -> float:
    """The grid cell size in degrees: about 16 px at ``zoom``, but coarse enough that the view box
    holds at most ``MAX_CELLS`` cells; always ``22.5 / 2**k`` so that cells do not shift."""
    size = BASE_CELL_DEG / 2 ** zoom if zoom is not None else 0.0
    width, height = (bbox[2] - bbox[0], bbox[3] - bbox[1]) if bbox else (360.0, 180.0)
    size = max(size, math.sqrt(width * height / MAX_CELLS), 1e-7)
    k = min(max(math.floor(math.log2(BASE_CELL_DEG / size)), 0), 24)
    return BASE_CELL_DEG / 2 ** k


def located_cases(actor, f: queries.CaseFilter, bbox=None):
    """The in-scope, filtered cases that have a map point (inside ``bbox``, WGS-84)."""
    stmt = queries.cases_in_scope(actor, f).where(Case.lat.is_not(None), Case.lng.is_not(None))
    if bbox is not None:
        min_lng, min_lat, max_lng, max_lat = bbox
        stmt = stmt.where(Case.lat.between(min_lat, max_lat), Case.lng.between(min_lng, max_lng))
    return stmt


def point_rows(actor, f, bbox, limit: int):
    """Up to ``limit + 1`` points (lat, lng, id, number): one more than the limit says 'too many'.
    No ORDER BY, so the database stops reading after ``limit + 1`` rows."""
    stmt = located_cases(actor, f, bbox).with_only_columns(
        Case.lat, Case.lng, Case.id, Case.number).limit(limit + 1)
    return db.session.execute(stmt).all()


def cell_rows(actor, f, bbox, size: float):
    """(mean lat, mean lng, count) per grid cell, grouped in SQL over the in-scope cases.

    The scoped, filtered statement becomes a subquery of lat/lng only; the outer query groups it
    by ``floor((lat + 90) / size), floor((lng + 180) / size)``."""
    pts = located_cases(actor, f, bbox).with_only_columns(
        Case.lat.label("lat"), Case.lng.label("lng")).subquery("pts")
    gy = grid_floor((pts.c.lat + 90.0) / size)
    gx = grid_floor((pts.c.lng + 180.0) / size)
    if db.session.get_bind().dialect.name == "sqlite":
        # one 64-bit integer key (gx < 2**30 at the finest cell size) groups about a fifth
        # faster than two keys over a million rows
        keys = (gy * CELL_KEY_SHIFT + gx,)
    else:
        keys = (gy, gx)
    stmt = select(func.avg(pts.c.lat), func.avg(pts.c.lng), func.count()).group_by(*keys)
    return db.session.execute(stmt).all()


def map_data(actor, f, bbox, zoom, *, limit: int, gcj: bool) -> dict:
    """The JSON answer of ``/cases/map/data`` (``bbox`` in display coordinates)."""
    query_box = bbox_to_wgs(bbox, gcj)
    rows = point_rows(actor, f, query_box, limit)
    if len(rows) <= limit:
        points = []
        for lat, lng, case_id, number in rows:
            lat, lng = _display(lat, lng, gcj)
            points.append([round(lat, 6), round(lng, 6), case_id, number])
        return {"mode": "points", "points": points, "total": len(points),
                "crs": "GCJ02" if gcj else "WGS84"}
    size = cell_size(zoom, query_box)
    cells = []
    total = 0
    for lat, lng, count in cell_rows(actor, f, query_box, size):
        lat, lng = _display(float(lat), float(lng), gcj)
        cells.append([round(lat, 6), round(lng, 6), int(count)])
        total += int(count)
    return {"mode": "cells", "cells": cells, "total": total, "cell_size": size,
            "crs": "GCJ02" if gcj else "WGS84"}


def units_with_boundaries(actor, unit_code: Optional[str] = None):
    stmt = scoping.scoped(select(Unit), actor, Unit.id).where(
        Unit.boundary_geojson.is_not(None), Unit.is_active.is_(True))
    if unit_code:
        sub = select(Unit.path).where(Unit.code == unit_code.strip().upper()).scalar_subquery()
        stmt = stmt.where(Unit.path.startswith(sub))
    return db.session.scalars(stmt.order_by(Unit.path)).all()


def _geometry(boundary: dict):
    geometry = boundary.get("geometry") if boundary.get("type") == "Feature" else boundary
    try:
        return shape(geometry)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def units_feature_collection(actor, unit_code: Optional[str], gcj: bool) -> dict:
    features = []
    for unit in units_with_boundaries(actor, unit_code):
        geom = _geometry(unit.boundary_geojson)
        if geom is None or geom.is_empty:
            continue
        simple = mapping(geom.simplify(BOUNDARY_TOLERANCE_DEG, preserve_topology=True))
        features.append({
            "type": "Feature",
            "properties": {"id": unit.id, "code": unit.code, "name": unit.name,
                           "depth": unit.depth},
            "geometry": {"type": simple["type"],
                         "coordinates": _geojson_to_display(simple["coordinates"], gcj)},
        })
    return {"type": "FeatureCollection", "features": features}


def initial_bounds(actor, f: queries.CaseFilter):
    """WGS-84 ``[[south, west], [north, east]]`` to open the map on: the boundaries of the units
    in scope (of the filtered unit), else the extent of the filtered cases, else None."""
    bounds = None
    for unit in units_with_boundaries(actor, f.unit):
        geom = _geometry(unit.boundary_geojson)
        if geom is None or geom.is_empty:
            continue
        w, s, e, n = geom.bounds
        bounds = (w, s, e, n) if bounds is None else (
            min(bounds[0], w), min(bounds[1], s), max(bounds[2], e), max(bounds[3], n))
    if bounds is None:
        pts = located_cases(actor, f).with_only_columns(
            Case.lat.label("lat"), Case.lng.label("lng")).subquery("pts")
        s, n, w, e = db.session.execute(select(
            func.min(pts.c.lat), func.max(pts.c.lat),
            func.min(pts.c.lng), func.max(pts.c.lng))).one()
        if s is not None:
            bounds = (w, s, e, n)
    if bounds is None:
        return None
    w, s, e, n = bounds
    return [[s, w], [n, e]]


# --- the map configuration, built with folium -----------------------------------------------

def build_folium_map(*, center, zoom: int, fit=None, tile_url: str = "",
                     attribution: str = "") -> folium.Map:
    """The map as a folium object; nothing of it is rendered to HTML (see the module docstring)."""
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True,
                   control_scale=True, zoom_control=True)
    if tile_url:
        attr = attribution or urlsplit(tile_url).netloc or tile_url
        folium.TileLayer(tiles=tile_url, attr=str(escape(attr)), name="tiles",
                         max_zoom=MAX_ZOOM).add_to(m)
    if fit is not None:
        m.fit_bounds(fit, max_zoom=16, padding=(24, 24))
    return m


def folium_config(m: folium.Map) -> dict:
    """Read the Leaflet options back from the folium objects (camelCase, as Leaflet wants them)."""
    options = {camelize(k): v for k, v in m.options.items()}
    options.setdefault("maxZoom", MAX_ZOOM)
    config = {"center": list(m.location), "zoom": options.pop("zoom"), "options": options,
              "tiles": None, "fit": None, "scale": bool(m.control_scale)}
    for child in m._children.values():
        if isinstance(child, folium.TileLayer):
            config["tiles"] = {"url": child.tiles, "options": {
                camelize(k): v for k, v in child.options.items()}}
        elif isinstance(child, folium.FitBounds):
            config["fit"] = {"bounds": child.bounds, "options": dict(child.options)}
    return config


def map_config(actor, f: queries.CaseFilter, bbox, zoom: Optional[int]) -> dict:
    """The page's map configuration: a ``bbox`` in the URL wins (with ``zoom``: centre on it),
    then the units' boundaries or the cases' extent, then the default centre."""
    conf = current_app.config
    gcj = _use_gcj()
    fit = None
    if bbox is not None:  # already in display coordinates
        min_lng, min_lat, max_lng, max_lat = bbox
        center = ((min_lat + max_lat) / 2, (min_lng + max_lng) / 2)
        if zoom is None:
            fit = [[min_lat, min_lng], [max_lat, max_lng]]
    else:
        wgs = initial_bounds(actor, f)
        if wgs is None:
            center = _display(*DEFAULT_CENTER, gcj)
        else:
            (s, w), (n, e) = wgs
            s, w = _display(s, w, gcj)
            n, e = _display(n, e, gcj)
            center = ((s + n) / 2, (w + e) / 2)
            if zoom is None:
                fit = [[s, w], [n, e]]
    m = build_folium_map(center=center, zoom=zoom if zoom is not None else DEFAULT_ZOOM,
                         fit=fit, tile_url=conf.get("MAP_TILE_URL") or "",
                         attribution=conf.get("MAP_TILE_ATTRIBUTION") or "")
    config = folium_config(m)
    config["crs"] = "GCJ02" if gcj else "WGS84"
    return config


# --- views ------------------------------------------------------------------------------------

def _bad_request(exc: DomainError):
    response = jsonify(error_body(exc.status, exc.message, exc.fields, exc.code))
    response.status_code = exc.status
    return response


def _filter_args() -> dict:
    """The list filters of this request (without the view box), for the data and list links."""
    return {k: v for k, v in request.args.items() if k not in ("bbox", "zoom") and v}


@bp.route("/map")
@guard()
def case_map():
    """The case map: heat map of grid cells, clustered markers when few, unit boundaries."""
    actor = current_actor()
    f = parse_filter(request.args)
    bbox = parse_bbox(request.args.get("bbox"))  # a MapParamError is a 400 page
    zoom = parse_zoom(request.args.get("zoom"))
    violations = db.session.scalars(select(ViolationType).order_by(ViolationType.code)).all()
    return render_template("enforcement/case_map.html", map_config=map_config(actor, f, bbox, zoom),
                           filter_args=_filter_args(), statuses=list(CaseStatus),
                           violations=violations)


@bp.route("/map/data")
@guard()
def case_map_data():
    """``{"mode": "points", "points": [[lat, lng, id, number], ...]}`` when the filtered cases in
    the view box are at most ``MAP_POINT_LIMIT``, else ``{"mode": "cells", "cells": [[lat, lng,
    count], ...]}`` grouped in SQL. Bad ``bbox``/``zoom``: 400 in the JSON error format."""
    actor = current_actor()
    try:
        bbox = parse_bbox(request.args.get("bbox"))
        zoom = parse_zoom(request.args.get("zoom"))
    except MapParamError as exc:
        return _bad_request(exc)
    limit = int(current_app.config.get("MAP_POINT_LIMIT", DEFAULT_POINT_LIMIT))
    return jsonify(map_data(actor, parse_filter(request.args), bbox, zoom, limit=limit,
                            gcj=_use_gcj()))


@bp.route("/map/units")
@guard()
def case_map_units():
    """A GeoJSON FeatureCollection of the boundaries of the active units in scope (``?unit=``
    narrows it to that unit's subtree), simplified to about 10 m."""
    return jsonify(units_feature_collection(current_actor(), request.args.get("unit") or None,
                                            _use_gcj()))
