"""The case map: an offline page (no CDN), points or SQL-aggregated cells, scope, bbox, GCJ-02."""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import Counter

import pytest

from core.roles import Role

# Importing the module attaches its views to the cases blueprint (routes.init_app imports it
# too); at collection time, so before any app is built.
from enforcement.cases import maps, services
from enforcement.cases.queries import CaseFilter
from enforcement.violations.seed import seed_violation_types
from tests.factories import UserFactory

NORTH_POINTS = [(29.60, 106.50), (29.61, 106.52), (29.70, 106.60), (29.72, 106.63)]
CENTRE_POINTS = [(29.55, 106.57), (29.56, 106.58), (29.557, 106.575)]


@pytest.fixture
def world(db, tree):
    seed_violation_types()
    officer = UserFactory(role=Role.officer, unit=tree["north_team"])
    centre_officer = UserFactory(role=Role.officer, unit=tree["centre_team"])
    return {"tree": tree, "officer": officer, "centre_officer": centre_officer}


def case_input(officer, **over):
    data = dict(origin="patrol", occurred_at=services.utcnow() - dt.timedelta(hours=2),
                address="重庆北站南广场", lat=29.61, lng=106.55, violation_code="FY-KY",
                officer_ids=[officer.id], facts="驾驶员以每人50元价格载客前往江北机场",
                vehicles=[services.VehicleInput(plate="渝a·12345")], parties=[])
    data.update(over)
    return services.CaseInput(**data)


def make_case(world, unit_key, lat, lng, **over):
    officer = world["officer"] if unit_key == "north_team" else world["centre_officer"]
    return services.create_case(actor=officer, unit=world["tree"][unit_key],
                                data=case_input(officer, lat=lat, lng=lng, **over))


@pytest.fixture
def placed(world):
    """Four north cases with a point and one without; three centre cases with a point."""
    north = [make_case(world, "north_team", lat, lng) for lat, lng in NORTH_POINTS]
    unplaced = make_case(world, "north_team", None, None)
    centre = [make_case(world, "centre_team", lat, lng) for lat, lng in CENTRE_POINTS]
    return {"north": north, "unplaced": unplaced, "centre": centre}


def data(client, **params):
    response = client.get("/cases/map/data", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


# --- the page -------------------------------------------------------------------------------

TAG_RE = re.compile(r"<(script|link)\b([^>]*)>", re.I)
ATTR_RE = re.compile(r'\b(src|href)\s*=\s*"([^"]*)"', re.I)


def test_page_loads_only_local_assets(client, world, login_as):
    login_as(Role.officer, "north_team")
    response = client.get("/cases/map")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="case-map"' in html
    urls = []
    for tag, attrs in TAG_RE.findall(html):
        found = dict((k.lower(), v) for k, v in ATTR_RE.findall(attrs))
        if tag.lower() == "script":
            assert "src" in found, "inline <script> would be blocked by the CSP"
            urls.append(found["src"])
        elif "stylesheet" in attrs or "icon" in attrs:
            urls.append(found["href"])
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert not [u for u in urls if "http://" in u or "https://" in u or u.startswith("//")]
    for asset in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
                  "vendor/leaflet.markercluster/leaflet.markercluster.js",
                  "vendor/leaflet.heat/leaflet-heat.js", "js/case_map.js"):
        assert f"/static/{asset}" in urls
        static = client.get(f"/static/{asset}")
        assert static.status_code == 200
        static.close()
    assert " style=" not in html and "<style" not in html  # style-src 'self'
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "unpkg"):
        assert cdn not in html


def _config(html: str) -> dict:
    match = re.search(r"data-config='([^']*)'", html)
    assert match
    return json.loads(match.group(1).replace("&#39;", "'").replace("&amp;", "&"))


def test_page_config_without_and_with_tiles(app, client, world, login_as, monkeypatch):
    login_as(Role.officer, "north_team")
    cfg = _config(client.get("/cases/map").get_data(as_text=True))
    assert cfg["tiles"] is None and cfg["crs"] == "WGS84"
    assert cfg["center"] == list(maps.DEFAULT_CENTER) and cfg["zoom"] == maps.DEFAULT_ZOOM
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "http://tiles.intranet/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "MAP_TILE_ATTRIBUTION", "© 市测绘院")
    cfg = _config(client.get("/cases/map?bbox=106.4,29.5,106.7,29.8&zoom=12")
                  .get_data(as_text=True))
    assert cfg["tiles"]["url"] == "http://tiles.intranet/{z}/{x}/{y}.png"
    assert cfg["tiles"]["options"]["attribution"] == "© 市测绘院"
    assert cfg["tiles"]["options"]["maxZoom"] == maps.MAX_ZOOM
    assert cfg["zoom"] == 12 and cfg["fit"] is None
    assert cfg["center"] == pytest.approx([29.65, 106.55])


def test_page_fits_the_cases_when_no_boundary(client, placed, login_as):
    login_as(Role.officer, "north_team")
    cfg = _config(client.get("/cases/map").get_data(as_text=True))
    lats = [p[0] for p in NORTH_POINTS]
    lngs = [p[1] for p in NORTH_POINTS]
    assert cfg["fit"]["bounds"] == [[min(lats), min(lngs)], [max(lats), max(lngs)]]


def test_page_refuses_a_bad_bbox(client, world, login_as):
    login_as(Role.officer, "north_team")
    assert client.get("/cases/map?bbox=1,2,3").status_code == 400
    assert client.get("/cases/map?zoom=abc").status_code == 400


# --- the data -------------------------------------------------------------------------------

def test_points_for_a_small_set(client, placed, login_as):
    login_as(Role.officer, "north_team")
    body = data(client)
    assert body["mode"] == "points"
    got = {p[2]: p for p in body["points"]}
    assert set(got) == {c.id for c in placed["north"]}  # no point: skipped; centre: out of scope
    for case in placed["north"]:
        assert got[case.id] == [case.lat, case.lng, case.id, case.number]


def test_cells_when_over_the_limit(app, client, placed, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_POINT_LIMIT", 2)
    login_as(Role.officer, "north_team")
    body = data(client, zoom=8, bbox="106,29,107,30")
    assert body["mode"] == "cells" and "points" not in body
    assert sum(c[2] for c in body["cells"]) == len(placed["north"]) == body["total"]
    size = 22.5 / 2 ** 8  # about 0.088°: 16 px at zoom 8
    assert body["cell_size"] == size
    expected = Counter((math.floor((lat + 90) / size), math.floor((lng + 180) / size))
                       for lat, lng in NORTH_POINTS)
    assert sorted(c[2] for c in body["cells"]) == sorted(expected.values()) == [1, 1, 2]
    for lat, lng, _count in body["cells"]:
        assert 29.6 <= lat <= 29.72 and 106.5 <= lng <= 106.63


def test_cells_group_like_floor_on_the_grid(app, world, db):
    """The SQL grid (floor of shifted coordinates) matches the same grouping in Python,
    including west of Greenwich and south of the equator."""
    points = [(29.601, 106.501), (29.6012, 106.5013), (29.64, 106.52), (-33.86, 151.21),
              (-33.8601, 151.2101), (51.5, -0.12), (51.5001, -0.1201), (0.0, 0.0)]
    for lat, lng in points:
        make_case(world, "north_team", lat, lng)
    size = 22.5 / 2 ** 12
    rows = maps.cell_rows(world["officer"], CaseFilter(), None, size)
    expected = Counter((math.floor((lat + 90) / size), math.floor((lng + 180) / size))
                       for lat, lng in points)
    assert sorted(r[2] for r in rows) == sorted(expected.values())
    assert sum(r[2] for r in rows) == len(points)


def test_another_units_cases_never_appear(app, client, placed, login_as, monkeypatch):
    login_as(Role.officer, "north_team")
    centre_ids = {c.id for c in placed["centre"]}
    body = data(client, bbox="106.56,29.54,106.59,29.57")  # only the centre cases are there
    assert body == {"mode": "points", "points": [], "total": 0, "crs": "WGS84"}
    assert not centre_ids & {p[2] for p in data(client)["points"]}
    assert data(client, unit="500103-JT01")["points"] == []  # filtering does not widen scope
    monkeypatch.setitem(app.config, "MAP_POINT_LIMIT", 1)
    body = data(client, bbox="106.4,29.5,106.7,29.8", zoom=12)
    assert body["mode"] == "cells" and body["total"] == len(placed["north"])
    for lat, _lng, _count in body["cells"]:  # nothing near the centre cases
        assert lat >= 29.6


def test_centre_user_sees_only_centre(client, placed, login_as):
    login_as(Role.officer, "centre_team")
    assert {p[2] for p in data(client)["points"]} == {c.id for c in placed["centre"]}


def test_city_wide_roles_see_both(app, client, placed, login_as, monkeypatch):
    login_as(Role.auditor, "city")
    assert data(client)["total"] == len(placed["north"]) + len(placed["centre"])
    monkeypatch.setitem(app.config, "MAP_POINT_LIMIT", 3)
    body = data(client, zoom=8)
    assert body["mode"] == "cells"
    assert sum(c[2] for c in body["cells"]) == len(placed["north"]) + len(placed["centre"])


def test_bbox_filters(client, placed, login_as):
    login_as(Role.officer, "north_team")
    south = {p[2] for p in data(client, bbox="106.49,29.59,106.53,29.62")["points"]}
    assert south == {placed["north"][0].id, placed["north"][1].id}
    north = {p[2] for p in data(client, bbox="106.59,29.69,106.64,29.73", zoom=14)["points"]}
    assert north == {placed["north"][2].id, placed["north"][3].id}
    # A zoomed-out view wraps the world: values beyond ±180/±90 are clamped, not refused.
    assert data(client, bbox="-400,-100,400,100")["total"] == len(placed["north"])


def test_filters_apply(client, placed, login_as):
    login_as(Role.officer, "north_team")
    assert data(client, status="registered")["points"] == []
    assert data(client, status="draft")["total"] == len(placed["north"])
    assert data(client, violation="NOPE")["points"] == []


@pytest.mark.parametrize("params, field", [
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "1,2,3,4,5"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": "nan,29,107,30"}, "bbox"),
    ({"bbox": "106,29,inf,30"}, "bbox"),
    ({"bbox": "107,29,106,30"}, "bbox"),  # min above max
    ({"bbox": "106,30,107,29"}, "bbox"),
    ({"zoom": "abc"}, "zoom"),
    ({"zoom": "-1"}, "zoom"),
    ({"zoom": "99"}, "zoom"),
    ({"zoom": "nan"}, "zoom"),
])
def test_bad_parameters_are_400_json(client, world, login_as, params, field):
    login_as(Role.officer, "north_team")
    response = client.get("/cases/map/data", query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "bad_request"
    assert body["error"]["message"]
    assert list(body["error"]["fields"]) == [field]


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get("/cases/map/data")
    assert response.status_code == 302 and "/login" in response.location


# --- unit boundaries ------------------------------------------------------------------------

def square(w, s, e, n):
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def test_units_endpoint_returns_in_scope_boundaries(client, world, login_as, db):
    tree = world["tree"]
    tree["north"].boundary_geojson = square(106.4, 29.5, 106.9, 29.9)
    tree["north_street"].boundary_geojson = {"type": "Feature", "properties": {},
                                             "geometry": square(106.5, 29.6, 106.6, 29.7)}
    tree["centre"].boundary_geojson = square(106.5, 29.5, 106.6, 29.6)
    db.session.flush()
    login_as(Role.officer, "north")
    response = client.get("/cases/map/units")
    assert response.status_code == 200
    fc = response.get_json()
    assert fc["type"] == "FeatureCollection"
    codes = {f["properties"]["code"] for f in fc["features"]}
    assert codes == {tree["north"].code, tree["north_street"].code}
    north = next(f for f in fc["features"] if f["properties"]["code"] == tree["north"].code)
    assert north["geometry"]["type"] == "Polygon"
    assert sorted(map(tuple, north["geometry"]["coordinates"][0]))[0] == (106.4, 29.5)
    only = client.get(f"/cases/map/units?unit={tree['north_street'].code}").get_json()
    assert [f["properties"]["code"] for f in only["features"]] == [tree["north_street"].code]
    cfg = _config(client.get("/cases/map").get_data(as_text=True))  # opens on the boundaries
    assert cfg["fit"]["bounds"] == [[29.5, 106.4], [29.9, 106.9]]


# --- GCJ-02 ---------------------------------------------------------------------------------

def test_wgs84_to_gcj02_known_values():
    lat, lng = maps.wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.91640428, abs=1e-7)
    assert lng == pytest.approx(116.41024450, abs=1e-7)
    lat, lng = maps.wgs84_to_gcj02(29.563, 106.551)  # Chongqing: about 500 m east
    assert lat == pytest.approx(29.5601525, abs=1e-6)
    assert lng == pytest.approx(106.5547187, abs=1e-6)


@pytest.mark.parametrize("point", [(48.8566, 2.3522), (40.7128, -74.006), (-33.86, 151.21),
                                   (0.0, 0.0), (60.0, 110.0)])
def test_outside_china_is_unchanged(point):
    assert maps.wgs84_to_gcj02(*point) == point
    assert maps.gcj02_to_wgs84(*point) == point


@pytest.mark.parametrize("point", [(39.915, 116.404), (29.563, 106.551), (22.3, 114.17),
                                   (45.75, 126.65)])
def test_gcj02_round_trip(point):
    back = maps.gcj02_to_wgs84(*maps.wgs84_to_gcj02(*point))
    assert back == pytest.approx(point, abs=1e-8)


def test_gcj02_tiles_convert_the_data(app, client, placed, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILE_CRS", "GCJ02")
    login_as(Role.officer, "north_team")
    body = data(client)
    assert body["crs"] == "GCJ02"
    got = {p[2]: p for p in body["points"]}
    for case in placed["north"]:
        lat, lng = maps.wgs84_to_gcj02(case.lat, case.lng)
        assert got[case.id][:2] == [round(lat, 6), round(lng, 6)]
    # The view box comes in GCJ-02 and is converted back: a box drawn tightly around a
    # displayed point finds it, although the stored WGS-84 point is ~500 m away.
    lat, lng = got[placed["north"][0].id][:2]
    box = f"{lng - 0.0005},{lat - 0.0005},{lng + 0.0005},{lat + 0.0005}"
    assert [p[2] for p in data(client, bbox=box)["points"]] == [placed["north"][0].id]
    cfg = _config(client.get("/cases/map").get_data(as_text=True))
    assert cfg["crs"] == "GCJ02"


# --- the cell size --------------------------------------------------------------------------

def test_cell_size_follows_zoom_and_caps_the_cell_count():
    assert maps.cell_size(10, (106, 29, 107, 30)) == 22.5 / 2 ** 10
    assert maps.cell_size(11, (106.4, 29.5, 106.9, 29.8)) == 22.5 / 2 ** 11
    assert maps.cell_size(11, (106, 29, 107, 30)) == 22.5 / 2 ** 10  # 1°x1° would need > 5000
    world_box = (-180, -90, 180, 90)
    size = maps.cell_size(18, world_box)  # a huge box at a high zoom: cells grow
    assert (360 / size) * (180 / size) <= maps.MAX_CELLS
    assert math.log2(22.5 / size) == int(math.log2(22.5 / size))  # on the fixed grid
    assert maps.cell_size(None, None) == size
