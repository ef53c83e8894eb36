"""Geography helpers: boundary validation and finding the unit that contains a point (shapely)."""
from __future__ import annotations

import threading
from typing import Optional

from flask_babel import lazy_gettext as _l
from shapely import prepare
from shapely.errors import GEOSException
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from extensions import db

_lock = threading.Lock()
_cache: dict = {"version": None, "shapes": []}


def boundary_error(geojson) -> Optional[str]:
    """None when ``geojson`` is a valid Polygon/MultiPolygon (or Feature of one); else a message."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        return str(_l("The boundary must be a GeoJSON Polygon or MultiPolygon."))
    try:
        geom = shape(geojson)
    except (GEOSException, ValueError, TypeError, KeyError, IndexError):
        return str(_l("The boundary is not valid GeoJSON."))
    if geom.is_empty or not geom.is_valid:
        return str(_l("The boundary polygon is empty or crosses itself."))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return str(_l("Boundary coordinates must be longitude, latitude in WGS-84."))
    return None


def invalidate_unit_shapes() -> None:
    """Forget the cached shapes in this process (other processes notice by the version)."""
    with _lock:
        _cache["version"] = None


def _shapes():
    from core.models import Unit

    # The version is read from the database so that every worker process sees an edit at once.
    version = tuple(db.session.execute(
        select(func.count(Unit.id), func.max(Unit.updated_at))
        .where(Unit.boundary_geojson.is_not(None))
    ).one())
    with _lock:
        if _cache["version"] == version:
            return _cache["shapes"]
    rows = db.session.execute(
        select(Unit.id, Unit.depth, Unit.boundary_geojson)
        .where(Unit.boundary_geojson.is_not(None), Unit.is_active.is_(True))
    ).all()
    shapes = []
    for unit_id, depth, geojson in rows:
        geom = shape(geojson.get("geometry", geojson) if geojson.get("type") == "Feature" else geojson)
        prepare(geom)
        shapes.append((depth, unit_id, geom))
    shapes.sort(key=lambda item: -item[0])  # deepest first: a town before its district
    with _lock:
        _cache.update(version=version, shapes=shapes)
    return shapes


def unit_for_point(lat: float, lng: float):
    """The deepest active unit whose boundary contains the WGS-84 point, or None."""
    return _unit_in(_shapes(), lat, lng)


def units_for_points(points: list[tuple[float, float]]) -> list:
    """:func:`unit_for_point` of each (lat, lng), the shapes looked up once for all."""
    shapes = _shapes()
    return [_unit_in(shapes, lat, lng) for lat, lng in points]


def _unit_in(shapes, lat: float, lng: float):
    from core.models import Unit

    point = Point(lng, lat)
    for _depth, unit_id, geom in shapes:
        if geom.contains(point) or geom.touches(point):
            return db.session.get(Unit, unit_id)
    return None
