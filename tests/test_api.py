"""The JSON API: units list/detail/create, bearer tokens, CSRF for cookie writes, idempotency,
the one error format, the OpenAPI document and the health check."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
import sqlalchemy.exc
from sqlalchemy import func, select

import extensions
from core import services
from core.models import ApiToken, IdempotencyRecord, Unit, UnitKind
from core.roles import Role
from tests.conftest import IsolatedClient
from tests.factories import UserFactory

UNITS = "/api/v1/units"
NORTH_CODES = {"500112", "500112001", "500112-JT01"}
ALL_CODES = NORTH_CODES | {"500000", "500103", "500103-JT01"}
HIDDEN_CSRF_RE = re.compile(
    r'<input[^>]*?(?:name="csrf_token"[^>]*?value="([^"]+)"|value="([^"]+)"[^>]*?name="csrf_token")')


# Helpers ----------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def responses_never_leak(request, monkeypatch):
    """Every response seen by a test of this module: never a 500, a stack trace or SQL.

    (Tests marked xfail for a known bug assert their own outcome.)"""
    seen = []
    original = IsolatedClient.open

    def recording_open(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        seen.append(response)
        return response

    monkeypatch.setattr(IsolatedClient, "open", recording_open)
    yield seen
    if request.node.get_closest_marker("xfail"):
        return
    for response in seen:
        body = response.get_data(as_text=True)
        assert response.status_code != 500, body[:500]
        assert "Traceback" not in body, body[:500]
        assert "sqlalchemy" not in body.lower(), body[:500]


def token_for(db, role, unit, **user_kwargs):
    """A user of ``role`` in ``unit`` and a raw API token for it."""
    user = UserFactory(role=role, unit=unit, **user_kwargs)
    raw = services.issue_token(user, actor=None, name="t")
    db.session.flush()
    return user, raw


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def assert_error(response, status: int, *fields: str) -> dict:
    """The response is ``status`` with the one JSON error body, naming ``fields``."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "fields"} <= set(error), error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    for name in fields:
        assert name in error["fields"], error
    return error


def unit_count(db, **where) -> int:
    stmt = select(func.count(Unit.id))
    for column, value in where.items():
        stmt = stmt.where(getattr(Unit, column) == value)
    return db.session.scalar(stmt)


def codes(response) -> list[str]:
    return [item["code"] for item in response.get_json()["items"]]


def cursor_of(payload) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_csrf_token(client, path: str = "/") -> str:
    match = HIDDEN_CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


NEW_STREET = {"code": "500112002", "name": "龙溪街道", "kind": "street", "parent_code": "500112"}


# GET /api/v1/units ------------------------------------------------------------------------

def test_list_units_only_in_token_users_subtree(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get(UNITS, headers=bearer(raw))
    assert response.status_code == 200
    body = response.get_json()
    assert set(codes(response)) == NORTH_CODES
    assert body["next_cursor"] is None
    item = next(i for i in body["items"] if i["code"] == "500112001")
    assert item["kind"] == "street" and item["parent_code"] == "500112"


def test_list_units_department_user_sees_only_its_unit(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["centre_team"])
    response = client.get(UNITS, headers=bearer(raw))
    assert response.status_code == 200
    assert codes(response) == ["500103-JT01"]


def test_list_units_city_level_user_sees_all(client, db, tree):
    _user, raw = token_for(db, Role.city_office, tree["city"])
    response = client.get(UNITS, headers=bearer(raw))
    assert response.status_code == 200
    assert set(codes(response)) == ALL_CODES


def test_list_units_auditor_sees_all_whatever_its_unit(client, db, tree):
    _user, raw = token_for(db, Role.auditor, tree["north_team"])
    response = client.get(UNITS, headers=bearer(raw))
    assert response.status_code == 200
    assert set(codes(response)) == ALL_CODES


def test_list_units_kind_filter(client, db, tree):
    _user, raw = token_for(db, Role.city_office, tree["city"])
    response = client.get(UNITS, query_string={"kind": "department"}, headers=bearer(raw))
    assert response.status_code == 200
    assert set(codes(response)) == {"500112-JT01", "500103-JT01"}


def test_keyset_pagination_walks_every_page(client, db, tree):
    _user, raw = token_for(db, Role.city_office, tree["city"])
    everything = client.get(UNITS, query_string={"limit": 500}, headers=bearer(raw))
    expected = codes(everything)
    assert set(expected) == ALL_CODES

    seen, pages, cursor = [], 0, None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = client.get(UNITS, query_string=params, headers=bearer(raw))
        assert response.status_code == 200
        body = response.get_json()
        assert 1 <= len(body["items"]) <= 2
        seen.extend(codes(response))
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
        assert pages < 10, "pagination does not end"
    assert pages == 3
    assert len(seen) == len(set(seen)), f"duplicates: {seen}"
    assert seen == expected  # nothing missed, in the same order


def test_default_limit_is_50(client, db, tree):
    from tests.factories import UnitFactory

    for n in range(50):  # 6 tree units + 50 = 56 in the city's scope
        UnitFactory(code=f"500112{n + 100:03d}", kind=UnitKind.street, parent=tree["north"])
    _user, raw = token_for(db, Role.city_office, tree["city"])
    response = client.get(UNITS, headers=bearer(raw))
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["items"]) == 50
    assert body["next_cursor"]
    rest = client.get(UNITS, query_string={"cursor": body["next_cursor"]}, headers=bearer(raw))
    assert len(rest.get_json()["items"]) == 6
    assert rest.get_json()["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc"])
def test_limit_out_of_range_is_422_naming_limit(client, db, tree, limit):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get(UNITS, query_string={"limit": limit}, headers=bearer(raw))
    assert_error(response, 422, "limit")


def test_limit_bounds_are_accepted(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    for limit in (1, 500):
        response = client.get(UNITS, query_string={"limit": limit}, headers=bearer(raw))
        assert response.status_code == 200
        assert len(response.get_json()["items"]) == min(limit, 3)


@pytest.mark.parametrize("cursor", [
    "garbage",
    "!!!!",
    cursor_of(b"\xff\xfe not json"),
    cursor_of({"after": -1}),
    cursor_of({"after": "5"}),
    cursor_of({"after": 1.5}),
    cursor_of({"before": 3}),
    cursor_of([1, 2]),
    cursor_of("text"),
    cursor_of(None),
    "\u00e9\u20ac",
])
def test_garbage_cursor_is_400_naming_cursor(client, db, tree, cursor):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get(UNITS, query_string={"cursor": cursor}, headers=bearer(raw))
    assert_error(response, 400, "cursor")


def test_cursor_with_huge_or_boolean_number_is_400(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    for after in (10 ** 30, 2 ** 63, True):
        response = client.get(UNITS, query_string={"cursor": cursor_of({"after": after})},
                              headers=bearer(raw))
        assert_error(response, 400, "cursor")


def test_kind_bogus_is_422(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get(UNITS, query_string={"kind": "bogus"}, headers=bearer(raw))
    assert_error(response, 422, "kind")


def test_q_too_long_is_422(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get(UNITS, query_string={"q": "x" * 61}, headers=bearer(raw))
    assert_error(response, 422, "q")


# GET /api/v1/units/<code> -----------------------------------------------------------------

def test_get_unit_in_scope(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get(f"{UNITS}/500112001", headers=bearer(raw))
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == "500112001"
    assert body["parent_code"] == "500112"
    assert body["kind"] == "street"
    assert body["has_boundary"] is False


def test_get_unit_out_of_scope_is_404_like_missing(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    hidden = client.get(f"{UNITS}/500103-JT01", headers=bearer(raw))
    missing = client.get(f"{UNITS}/999999", headers=bearer(raw))
    assert_error(hidden, 404)
    assert_error(missing, 404)
    assert hidden.get_json() == missing.get_json()
    parent = client.get(f"{UNITS}/500000", headers=bearer(raw))
    assert parent.get_json() == missing.get_json()


# Authentication ---------------------------------------------------------------------------

def test_no_token_is_401_json(client, db, tree):
    assert_error(client.get(UNITS), 401)
    assert_error(client.get(f"{UNITS}/500112"), 401)
    assert_error(client.post(UNITS, json=NEW_STREET), 401)


@pytest.mark.parametrize("header", [
    "Bearer ecs_not-a-real-token",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "ecs_not-a-real-token",
])
def test_bad_token_is_401(client, db, tree, header):
    token_for(db, Role.officer, tree["north"])
    assert_error(client.get(UNITS, headers={"Authorization": header}), 401)


def test_token_of_disabled_user_is_401(client, db, tree):
    user, raw = token_for(db, Role.officer, tree["north"])
    assert client.get(UNITS, headers=bearer(raw)).status_code == 200
    services.set_user_active(user, actor=None, active=False)
    db.session.flush()
    assert_error(client.get(UNITS, headers=bearer(raw)), 401)


def test_token_of_inactive_user_is_401_even_if_not_revoked(client, db, tree):
    user, raw = token_for(db, Role.officer, tree["north"])
    user.is_active = False
    user.disabled_at = dt.datetime.now(dt.timezone.utc)
    db.session.flush()
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == user.id)) \
        is None
    assert_error(client.get(UNITS, headers=bearer(raw)), 401)


def test_revoked_token_is_401(client, db, tree):
    user, raw = token_for(db, Role.officer, tree["north"])
    other_raw = services.issue_token(user, actor=None, name="other")
    token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                               .order_by(ApiToken.id)).first()
    token.revoked_at = dt.datetime.now(dt.timezone.utc)
    db.session.flush()
    assert_error(client.get(UNITS, headers=bearer(raw)), 401)
    assert client.get(UNITS, headers=bearer(other_raw)).status_code == 200


def test_token_use_is_recorded(client, db, tree):
    user, raw = token_for(db, Role.officer, tree["north"])
    assert db.session.scalar(select(ApiToken.last_used_at)
                             .where(ApiToken.user_id == user.id)) is None
    assert client.get(UNITS, headers=bearer(raw)).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)
                             .where(ApiToken.user_id == user.id)) is not None


def test_token_is_not_accepted_outside_the_api(client, db, tree):
    _user, raw = token_for(db, Role.officer, tree["north"])
    response = client.get("/units", headers=bearer(raw))
    assert response.status_code == 302
    assert "/login" in response.location


# POST /api/v1/units -----------------------------------------------------------------------

def test_create_unit_as_district_office(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    response = client.post(UNITS, json=NEW_STREET, headers=bearer(raw))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "500112002"
    assert body["parent_code"] == "500112"
    assert body["kind"] == "street"
    unit = db.session.scalar(select(Unit).where(Unit.code == "500112002"))
    assert unit is not None
    assert unit.parent_id == tree["north"].id
    assert unit.path.startswith(tree["north"].path) and unit.depth == 2
    # and it is now visible through the API
    assert client.get(f"{UNITS}/500112002", headers=bearer(raw)).status_code == 200


def test_create_departmental_unit_with_boundary(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    square = {"type": "Polygon",
              "coordinates": [[[106.5, 29.6], [106.6, 29.6], [106.6, 29.7], [106.5, 29.7],
                               [106.5, 29.6]]]}
    response = client.post(UNITS, json={"code": "500112001-GA01", "name": "派出所",
                                        "kind": "department", "department": "police",
                                        "parent_code": "500112001", "boundary_geojson": square},
                           headers=bearer(raw))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["has_boundary"] is True
    assert response.get_json()["department"] == "police"


def test_create_unit_missing_fields_is_422(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    before = unit_count(db)
    response = client.post(UNITS, json={}, headers=bearer(raw))
    assert_error(response, 422, "code", "name", "kind", "parent_code")
    response = client.post(UNITS, json={"code": "500112002", "kind": "street"},
                           headers=bearer(raw))
    error = assert_error(response, 422, "name", "parent_code")
    assert "code" not in error["fields"]
    assert unit_count(db) == before


@pytest.mark.parametrize("change, field", [
    ({"code": "not-a-code"}, "code"),
    ({"code": 500112002}, "code"),
    ({"kind": "planet"}, "kind"),
    ({"name": ""}, "name"),
    ({"department": "army"}, "department"),
    ({"boundary_geojson": "square"}, "boundary_geojson"),
])
def test_create_unit_invalid_field_is_422(client, db, tree, change, field):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    before = unit_count(db)
    response = client.post(UNITS, json=NEW_STREET | change, headers=bearer(raw))
    assert_error(response, 422, field)
    assert unit_count(db) == before


def test_create_unit_blank_name_is_422(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    response = client.post(UNITS, json=NEW_STREET | {"name": "   "}, headers=bearer(raw))
    assert_error(response, 422, "name")
    assert unit_count(db, code="500112002") == 0


@pytest.mark.parametrize("boundary", [
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
    {"type": "Point", "coordinates": [106.5, 29.5]},
    {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 1], [200, 0]]]},
    {"type": "Polygon", "coordinates": "abc"},
])
def test_create_unit_bad_boundary_is_422(client, db, tree, boundary):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    response = client.post(UNITS, json=NEW_STREET | {"boundary_geojson": boundary},
                           headers=bearer(raw))
    assert_error(response, 422, "boundary_geojson")
    assert unit_count(db, code="500112002") == 0


def test_create_unit_parent_out_of_scope_is_422(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    before = unit_count(db)
    for parent in ("500103", "500000", "999999"):
        response = client.post(UNITS, json=NEW_STREET | {"code": "500103002",
                                                         "parent_code": parent},
                               headers=bearer(raw))
        assert_error(response, 422, "parent_code")
    assert unit_count(db) == before


def test_create_unit_duplicate_code_is_422(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    before = unit_count(db)
    response = client.post(UNITS, json=NEW_STREET | {"code": "500112001"}, headers=bearer(raw))
    assert_error(response, 422, "code")
    # the code of a unit outside the actor's scope is taken too
    response = client.post(UNITS, json=NEW_STREET | {"code": "500103-JT01",
                                                     "kind": "department",
                                                     "department": "transport"},
                           headers=bearer(raw))
    assert_error(response, 422, "code")
    assert unit_count(db) == before


def test_create_unit_wrong_parent_kind_is_422(client, db, tree):
    _user, raw = token_for(db, Role.city_office, tree["city"])
    response = client.post(UNITS, json=NEW_STREET | {"parent_code": "500000"},
                           headers=bearer(raw))
    assert_error(response, 422)
    assert unit_count(db, code="500112002") == 0


@pytest.mark.parametrize("role", [Role.officer, Role.unit_leader, Role.finance, Role.auditor])
def test_create_unit_by_non_manager_is_403(client, db, tree, role):
    _user, raw = token_for(db, role, tree["north"])
    response = client.post(UNITS, json=NEW_STREET, headers=bearer(raw))
    assert_error(response, 403)
    assert unit_count(db, code="500112002") == 0


def test_idempotency_key_replays_first_result(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    headers = bearer(raw) | {"Idempotency-Key": "create-street-1"}
    first = client.post(UNITS, json=NEW_STREET, headers=headers)
    second = client.post(UNITS, json=NEW_STREET, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert second.status_code == 201
    assert second.get_json() == first.get_json()
    assert unit_count(db, code="500112002") == 1
    assert db.session.scalar(select(func.count(IdempotencyRecord.id))
                             .where(IdempotencyRecord.key == "create-street-1")) == 1


def test_without_idempotency_key_a_repeat_is_a_duplicate(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    assert client.post(UNITS, json=NEW_STREET, headers=bearer(raw)).status_code == 201
    assert_error(client.post(UNITS, json=NEW_STREET, headers=bearer(raw)), 422, "code")
    assert unit_count(db, code="500112002") == 1


def test_idempotency_key_with_other_body_is_422(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    headers = bearer(raw) | {"Idempotency-Key": "k-1"}
    assert client.post(UNITS, json=NEW_STREET, headers=headers).status_code == 201
    response = client.post(UNITS, json=NEW_STREET | {"code": "500112003"}, headers=headers)
    assert_error(response, 422, "Idempotency-Key")
    assert unit_count(db, code="500112003") == 0
    assert unit_count(db, code="500112002") == 1


def test_idempotency_keys_are_per_user(client, db, tree):
    _a, raw_a = token_for(db, Role.district_office, tree["north"])
    _b, raw_b = token_for(db, Role.district_office, tree["north"])
    assert client.post(UNITS, json=NEW_STREET,
                       headers=bearer(raw_a) | {"Idempotency-Key": "same"}).status_code == 201
    response = client.post(UNITS, json=NEW_STREET | {"code": "500112003"},
                           headers=bearer(raw_b) | {"Idempotency-Key": "same"})
    assert response.status_code == 201
    assert response.get_json()["code"] == "500112003"


def test_failed_request_does_not_consume_idempotency_key(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    headers = bearer(raw) | {"Idempotency-Key": "retry-me"}
    assert_error(client.post(UNITS, json=NEW_STREET | {"parent_code": "500103"},
                             headers=headers), 422, "parent_code")
    response = client.post(UNITS, json=NEW_STREET, headers=headers)
    assert response.status_code == 201


def test_idempotency_key_too_long_is_422(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    response = client.post(UNITS, json=NEW_STREET,
                           headers=bearer(raw) | {"Idempotency-Key": "k" * 129})
    assert_error(response, 422, "Idempotency-Key")
    assert unit_count(db, code="500112002") == 0
    response = client.post(UNITS, json=NEW_STREET,
                           headers=bearer(raw) | {"Idempotency-Key": "k" * 128})
    assert response.status_code == 201


# CSRF for cookie-authenticated writes ----------------------------------------------------

def test_cookie_authenticated_post_needs_csrf_header(client, db, login_as):
    login_as(Role.district_office, "north")
    response = client.post(UNITS, json=NEW_STREET)
    assert_error(response, 400)
    assert unit_count(db, code="500112002") == 0

    bad = client.post(UNITS, json=NEW_STREET, headers={"X-CSRFToken": "forged"})
    assert_error(bad, 400)
    assert unit_count(db, code="500112002") == 0

    token = page_csrf_token(client, "/")
    response = client.post(UNITS, json=NEW_STREET, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert unit_count(db, code="500112002") == 1


def test_cookie_authenticated_get_needs_no_csrf(client, db, login_as):
    login_as(Role.officer, "north")
    response = client.get(UNITS)
    assert response.status_code == 200
    assert set(codes(response)) == NORTH_CODES


# Errors -----------------------------------------------------------------------------------

def test_unknown_api_path_is_404_json(client, db, tree):
    assert_error(client.get("/api/v1/nope"), 404)
    _user, raw = token_for(db, Role.officer, tree["north"])
    assert_error(client.get("/api/v1/nope", headers=bearer(raw)), 404)


def test_wrong_method_is_405_json(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    assert_error(client.delete(UNITS, headers=bearer(raw)), 405)
    assert_error(client.delete(UNITS), 405)
    assert_error(client.put(f"{UNITS}/500112", json={}, headers=bearer(raw)), 405)


def test_body_too_large_is_413_json(app, client, db, tree, monkeypatch):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200)
    response = client.post(UNITS, json=NEW_STREET | {"name": "街" * 500}, headers=bearer(raw))
    error = assert_error(response, 413)
    assert error["code"] == "payload_too_large"
    assert unit_count(db, code="500112002") == 0


@pytest.mark.parametrize("data", [
    pytest.param('{"code": "500112002", ', id="truncated"),
    pytest.param("not json at all", id="not-json"),
    pytest.param("[1, 2]", id="list"),
    pytest.param('"a string"', id="string"),
    pytest.param("null", id="null"),
    pytest.param("", id="empty"),
])
def test_malformed_json_body_is_400_or_422(client, db, tree, data):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    before = unit_count(db)
    response = client.post(UNITS, data=data, content_type="application/json",
                           headers=bearer(raw))
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)
    assert unit_count(db) == before


def test_form_encoded_body_is_rejected_cleanly(client, db, tree):
    _user, raw = token_for(db, Role.district_office, tree["north"])
    response = client.post(UNITS, data=NEW_STREET, headers=bearer(raw))
    assert response.status_code in (400, 415, 422)
    assert_error(response, response.status_code)
    assert unit_count(db, code="500112002") == 0


# OpenAPI ----------------------------------------------------------------------------------

def test_openapi_document_is_public(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/units" in spec["paths"]
    assert "/api/v1/units/{code}" in spec["paths"]
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/units"])
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer"
               for s in schemes.values()), schemes
    name = next(n for n, s in schemes.items() if s.get("scheme", "").lower() == "bearer")
    assert {name: []} in spec.get("security", [])


# Health check -----------------------------------------------------------------------------

def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_database_fails(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise sqlalchemy.exc.OperationalError("x", {}, Exception())

    monkeypatch.setattr(extensions.db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert set(body) == {"status"}
    assert body["status"] != "ok"
