"""Coordinates between storage (WGS-84) and the map on the page: when the configured tiles are
GCJ-02 (Chinese providers, ``MAP_TILE_CRS=GCJ02``) everything drawn is shifted for display and
everything drawn by the user is shifted back before it is stored (the case map's conversion)."""
from __future__ import annotations

import copy

from enforcement.cases.maps import _geojson_to_display, _use_gcj, gcj02_to_wgs84


def _to_storage(coords):
    if coords and isinstance(coords[0], (int, float)):
        lat, lng = gcj02_to_wgs84(coords[1], coords[0])
        return [round(lng, 7), round(lat, 7)]
    return [_to_storage(c) for c in coords]


def geometry_for_display(geometry: dict | None) -> dict | None:
    if not geometry or not _use_gcj():
        return geometry
    shifted = copy.deepcopy(geometry)
    shifted["coordinates"] = _geojson_to_display(geometry["coordinates"], True)
    return shifted


def geometry_from_display(geometry):
    """A geometry drawn on the page, in WGS-84 (left alone when it is not GeoJSON-like: the
    services refuse it with a clear message)."""
    if not _use_gcj() or not isinstance(geometry, dict) or \
            not isinstance(geometry.get("coordinates"), list):
        return geometry
    try:
        return dict(geometry, coordinates=_to_storage(geometry["coordinates"]))
    except (TypeError, IndexError, ValueError):
        return geometry


def features_for_display(collection: dict) -> dict:
    return dict(collection, features=[dict(f, geometry=geometry_for_display(f["geometry"]))
                                      for f in collection["features"]])


def unit_boundaries(actor) -> dict:
    """The boundaries of the districts and streets in scope (not the city's own box), drawn
    under the areas so that a map without tiles still shows where things are."""
    from enforcement.cases.maps import units_feature_collection

    collection = units_feature_collection(actor, None, _use_gcj())
    return dict(collection, features=[f for f in collection["features"]
                                      if f["properties"]["depth"] > 0])


def map_context() -> dict:
    """What the map partial needs: the tile configuration and the unit boundaries in scope."""
    from core.permissions import current_actor
    from enforcement.tips.public import map_config

    return {"map_config": map_config(), "units": unit_boundaries(current_actor())}
