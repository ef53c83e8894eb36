"""Units and users: the services' rules, the point-in-boundary look-up, the pages (forms and XLSX
exports) and the ``users`` commands."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import func, select

from core import geo, security, services
from core.errors import DomainError
from core.models import ApiToken, Department, Unit, UnitKind, User, UserSession
from core.roles import Role
from tests.factories import PASSWORD, UserFactory

GOOD_PASSWORD = "Sturdy-Lantern-73"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def unit_count(db) -> int:
    return db.session.scalar(select(func.count(Unit.id)))


def user_count(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def square(lng0: float, lat0: float, lng1: float, lat1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1],
                                                [lng0, lat1], [lng0, lat0]]]}


@pytest.fixture(autouse=True)
def fast_hashing(request, monkeypatch):
    """Cheap argon2id parameters (same algorithm), except where the real hash is under test."""
    if "argon2id" not in request.node.name:
        monkeypatch.setattr(security, "_hasher",
                            PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def district_office(tree):
    return UserFactory(role=Role.district_office, unit=tree["north"])


@pytest.fixture
def city_office(tree):
    return UserFactory(role=Role.city_office, unit=tree["city"])


# create_unit ------------------------------------------------------------------------------

def test_create_unit_sets_path_and_depth(db, tree, district_office):
    north = tree["north"]
    street = services.create_unit(actor=district_office, code="500112002", name=" 龙溪街道 ",
                                  kind=UnitKind.street, parent=north)
    assert street.id is not None
    assert street.parent_id == north.id
    assert street.path.startswith(north.path) and street.path != north.path
    assert street.path == f"{north.path}{street.id}/"
    assert street.depth == north.depth + 1 == 2
    assert street.name == "龙溪街道"

    team = services.create_unit(actor=district_office, code="500112002-ga01", name="派出所",
                                kind=UnitKind.department, department=Department.police,
                                parent=street)
    assert team.code == "500112002-GA01"
    assert team.path.startswith(street.path) and team.depth == 3
    assert team.is_within(north) and not team.is_within(tree["centre"])


def test_create_city_without_actor(db):
    city = services.create_unit(actor=None, code="510000", name="某市", kind=UnitKind.city,
                                parent=None)
    assert city.parent_id is None
    assert city.depth == 0 and city.path == f"/{city.id}/"


def _unit_kwargs(tree, **change):
    kwargs = {"code": "500112002", "name": "新单位", "kind": UnitKind.street,
              "parent": tree["north"], "department": Department.government,
              "boundary_geojson": None}
    for key, value in change.items():
        kwargs[key] = tree[value] if key == "parent" and isinstance(value, str) else value
    return kwargs


BOW_TIE = {"type": "Polygon", "coordinates": [[[106.0, 29.0], [106.1, 29.1], [106.1, 29.0],
                                               [106.0, 29.1], [106.0, 29.0]]]}


@pytest.mark.parametrize("actor_key, change, field", [
    ("district", {"code": "500112001"}, "code"),
    ("district", {"code": "500112-jt01", "kind": UnitKind.department,
                  "department": Department.transport}, "code"),
    ("district", {"code": "500103-JT01", "kind": UnitKind.department,
                  "department": Department.transport}, "code"),
    ("district", {"parent": "centre"}, "parent_id"),
    ("district", {"parent": "city", "kind": UnitKind.district}, "parent_id"),
    ("district", {"parent": None}, "parent_id"),
    ("city", {"parent": "city"}, "parent_id"),                 # a street directly under the city
    ("city", {"parent": "north_street", "kind": UnitKind.street}, "parent_id"),
    ("city", {"parent": "north", "kind": UnitKind.city}, "parent_id"),
    ("none", {"parent": None, "kind": UnitKind.district}, "parent_id"),
    ("district", {"kind": UnitKind.department}, "department"),  # no department given
    ("district", {"department": Department.police}, "department"),  # area unit with one
    ("district", {"boundary_geojson": BOW_TIE}, "boundary_geojson"),
    ("district", {"boundary_geojson": {"type": "Point", "coordinates": [106.5, 29.5]}},
     "boundary_geojson"),
    ("district", {"boundary_geojson": {"type": "LineString",
                                       "coordinates": [[106.0, 29.0], [106.1, 29.1]]}},
     "boundary_geojson"),
    ("district", {"boundary_geojson": square(181.0, 29.0, 182.0, 30.0)}, "boundary_geojson"),
    ("district", {"boundary_geojson": square(106.0, 89.5, 107.0, 91.0)}, "boundary_geojson"),
    ("district", {"boundary_geojson": {"type": "Polygon", "coordinates": "abc"}},
     "boundary_geojson"),
    ("district", {"boundary_geojson": {"type": "Polygon", "coordinates": []}},
     "boundary_geojson"),
    ("district", {"boundary_geojson": "not a dict"}, "boundary_geojson"),
])
def test_create_unit_refusals(db, tree, district_office, city_office, actor_key, change, field):
    actor = {"district": district_office, "city": city_office, "none": None}[actor_key]
    before = unit_count(db)
    with pytest.raises(DomainError) as info:
        services.create_unit(actor=actor, **_unit_kwargs(tree, **change))
    assert info.value.field == field
    assert field in info.value.fields
    assert str(info.value.message)
    db.session.flush()
    assert unit_count(db) == before


def test_create_unit_accepts_feature_and_multipolygon(db, tree, district_office):
    feature = {"type": "Feature", "properties": {},
               "geometry": square(106.0, 29.0, 106.1, 29.1)}
    a = services.create_unit(actor=district_office, **_unit_kwargs(tree, boundary_geojson=feature))
    multi = {"type": "MultiPolygon",
             "coordinates": [square(106.2, 29.0, 106.3, 29.1)["coordinates"]]}
    b = services.create_unit(actor=district_office,
                             **_unit_kwargs(tree, code="500112003", boundary_geojson=multi))
    assert a.boundary_geojson == feature and b.boundary_geojson == multi


# unit_for_point ---------------------------------------------------------------------------

@pytest.fixture
def mapped(db, tree, city_office):
    """North has a boundary, its street a smaller one inside it."""
    services.update_unit(tree["north"], actor=city_office, name=tree["north"].name,
                         boundary_geojson=square(106.0, 29.0, 107.0, 30.0), is_active=True)
    services.update_unit(tree["north_street"], actor=city_office, name=tree["north_street"].name,
                         boundary_geojson=square(106.2, 29.2, 106.4, 29.4), is_active=True)
    db.session.flush()
    return tree


def test_unit_for_point_finds_deepest_unit(db, mapped):
    assert geo.unit_for_point(29.3, 106.3) == mapped["north_street"]
    assert geo.unit_for_point(29.8, 106.8) == mapped["north"]
    assert geo.unit_for_point(29.3, 108.5) is None       # east of the district
    assert geo.unit_for_point(106.3, 29.3) is None       # lat/lng swapped: not in Chongqing
    assert geo.unit_for_point(0.0, 0.0) is None


def test_unit_for_point_on_the_border(db, mapped):
    assert geo.unit_for_point(29.4, 106.3) == mapped["north_street"]
    assert geo.unit_for_point(30.0, 106.5) == mapped["north"]


def test_unit_for_point_follows_boundary_changes(db, mapped, city_office):
    assert geo.unit_for_point(29.3, 106.3) == mapped["north_street"]
    services.update_unit(mapped["north_street"], actor=city_office,
                         name=mapped["north_street"].name,
                         boundary_geojson=square(106.6, 29.6, 106.8, 29.8), is_active=True)
    db.session.flush()
    assert geo.unit_for_point(29.3, 106.3) == mapped["north"]
    assert geo.unit_for_point(29.7, 106.7) == mapped["north_street"]

    services.update_unit(mapped["north"], actor=city_office, name=mapped["north"].name,
                         boundary_geojson=None, is_active=True)
    db.session.flush()
    assert geo.unit_for_point(29.3, 106.3) is None
    assert geo.unit_for_point(29.7, 106.7) == mapped["north_street"]


def test_unit_for_point_ignores_deactivated_unit(db, mapped, city_office):
    services.update_unit(mapped["north_street"], actor=city_office,
                         name=mapped["north_street"].name,
                         boundary_geojson=mapped["north_street"].boundary_geojson,
                         is_active=False)
    db.session.flush()
    assert geo.unit_for_point(29.3, 106.3) == mapped["north"]


def test_unit_for_point_notices_edit_made_elsewhere(db, mapped):
    """Another worker's edit (no in-process invalidation) is seen through the version check."""
    assert geo.unit_for_point(29.3, 106.3) == mapped["north_street"]
    mapped["north_street"].boundary_geojson = square(106.6, 29.6, 106.8, 29.8)
    db.session.flush()
    assert geo.unit_for_point(29.3, 106.3) == mapped["north"]


def test_update_unit_rejects_bad_boundary(db, tree, city_office):
    with pytest.raises(DomainError) as info:
        services.update_unit(tree["north"], actor=city_office, name="x",
                             boundary_geojson=BOW_TIE, is_active=True)
    assert info.value.field == "boundary_geojson"


def test_cannot_deactivate_own_unit(db, tree, district_office):
    with pytest.raises(DomainError) as info:
        services.update_unit(tree["north"], actor=district_office, name="渝北区",
                             boundary_geojson=None, is_active=False)
    assert info.value.field == "is_active"


# create_user ------------------------------------------------------------------------------

def _user_kwargs(tree, **change):
    kwargs = {"username": "zhangwei", "full_name": "张伟", "role": Role.officer,
              "unit": tree["north_team"], "password": GOOD_PASSWORD,
              "cert_no": "渝交执123456", "cert_expires_on": dt.date.today() + dt.timedelta(days=300)}
    for key, value in change.items():
        kwargs[key] = tree[value] if key == "unit" and isinstance(value, str) else value
    return kwargs


def test_create_user_stores_argon2id_hash(db, tree, district_office):
    user = services.create_user(actor=district_office,
                                **_user_kwargs(tree, username="  ZhangWei "))
    assert user.id is not None
    assert user.username == "zhangwei"
    assert user.password_hash.startswith("$argon2id$")
    assert not security._hasher.check_needs_rehash(user.password_hash)  # current parameters
    assert GOOD_PASSWORD not in user.password_hash
    assert security.verify_password(user, GOOD_PASSWORD)
    assert not security.verify_password(user, PASSWORD)


@pytest.mark.parametrize("password", [
    "Sh0rt-pw",                     # too short
    "",                             # empty
    "password123456",               # common
    "PASSWORD123456",               # common, whatever the case
    "qwertyuiop",                   # common
    "zhangwei-Strong-2024",         # contains the user name
    "My-ZHANGWEI-pass-99",          # contains it in another case
])
def test_create_user_password_rule(db, tree, district_office, password):
    before = user_count(db)
    with pytest.raises(DomainError) as info:
        services.create_user(actor=district_office, **_user_kwargs(tree, password=password))
    assert info.value.field == "password"
    assert user_count(db) == before


def test_create_user_duplicate_username(db, tree, district_office):
    existing = UserFactory(role=Role.officer, unit=tree["north_team"])
    before = user_count(db)
    with pytest.raises(DomainError) as info:
        services.create_user(actor=district_office,
                             **_user_kwargs(tree, username=existing.username.upper()))
    assert info.value.field == "username"
    assert user_count(db) == before


@pytest.mark.parametrize("actor_role, actor_unit, role", [
    (Role.district_office, "north", Role.city_office),
    (Role.district_office, "north", Role.admin),
    (Role.district_office, "north", Role.auditor),
    (Role.city_office, "city", Role.admin),
    (Role.officer, "north", Role.officer),
    (Role.unit_leader, "north", Role.officer),
    (Role.auditor, "city", Role.officer),
])
def test_create_user_role_escalation_refused(db, tree, actor_role, actor_unit, role):
    actor = UserFactory(role=actor_role, unit=tree[actor_unit])
    before = user_count(db)
    with pytest.raises(DomainError) as info:
        services.create_user(actor=actor, **_user_kwargs(tree, role=role, unit="north"))
    assert info.value.field == "role"
    assert user_count(db) == before


@pytest.mark.parametrize("actor_role, actor_unit, role", [
    (Role.district_office, "north", Role.district_office),
    (Role.district_office, "north", Role.finance),
    (Role.city_office, "city", Role.city_office),
    (Role.city_office, "city", Role.auditor),
    (Role.admin, "city", Role.admin),
])
def test_create_user_assignable_roles_allowed(db, tree, actor_role, actor_unit, role):
    actor = UserFactory(role=actor_role, unit=tree[actor_unit])
    user = services.create_user(actor=actor, **_user_kwargs(tree, role=role, unit="north"))
    assert user.role is role


@pytest.mark.parametrize("unit", ["centre", "centre_team", "city"])
def test_create_user_unit_outside_scope(db, tree, district_office, unit):
    before = user_count(db)
    with pytest.raises(DomainError) as info:
        services.create_user(actor=district_office, **_user_kwargs(tree, unit=unit))
    assert info.value.field == "unit_id"
    assert user_count(db) == before


@pytest.mark.parametrize("cert_no, expires", [
    ("渝交执123456", None),
    (None, dt.date(2030, 1, 1)),
    ("", dt.date(2030, 1, 1)),
])
def test_create_user_certificate_needs_both_parts(db, tree, district_office, cert_no, expires):
    before = user_count(db)
    with pytest.raises(DomainError) as info:
        services.create_user(actor=district_office,
                             **_user_kwargs(tree, cert_no=cert_no, cert_expires_on=expires))
    assert info.value.field == "cert_expires_on"
    assert user_count(db) == before


def test_create_user_without_certificate(db, tree, district_office):
    user = services.create_user(actor=district_office,
                                **_user_kwargs(tree, role=Role.finance, cert_no=None,
                                               cert_expires_on=None))
    assert user.cert_no is None and user.cert_expires_on is None


# set_user_active --------------------------------------------------------------------------

def test_disabling_ends_sessions_and_revokes_tokens(db, tree, district_office):
    user = UserFactory(role=Role.officer, unit=tree["north_team"])
    other = UserFactory(role=Role.officer, unit=tree["north_team"])
    for _ in range(2):
        security.start_session(user)
        services.issue_token(user, actor=None, name="t")
    security.start_session(other)
    other_raw = services.issue_token(other, actor=None, name="t")
    db.session.flush()

    services.set_user_active(user, actor=district_office, active=False)
    db.session.flush()
    db.session.expire_all()

    assert user.is_active is False and user.disabled_at is not None
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert len(sessions) == 2 and len(tokens) == 2
    assert all(s.ended_at is not None and s.end_reason for s in sessions)
    assert all(t.revoked_at is not None for t in tokens)
    # another user's sessions and tokens are untouched
    assert db.session.scalar(select(UserSession.ended_at)
                             .where(UserSession.user_id == other.id)) is None
    assert db.session.scalar(select(ApiToken.revoked_at)
                             .where(ApiToken.user_id == other.id)) is None
    assert security.load_token(other_raw) is not None

    # Re-enabling does not bring the old tokens back.
    services.set_user_active(user, actor=district_office, active=True)
    db.session.flush()
    db.session.expire_all()
    assert user.is_active is True and user.disabled_at is None
    assert all(t.revoked_at is not None for t in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)))


def test_cannot_disable_yourself(db, tree, district_office):
    with pytest.raises(DomainError) as info:
        services.set_user_active(district_office, actor=district_office, active=False)
    assert info.value.field == "is_active"
    assert district_office.is_active is True


def test_issue_token_refused_for_disabled_user(db, tree):
    user = UserFactory(role=Role.officer, unit=tree["north_team"])
    services.set_user_active(user, actor=None, active=False)
    with pytest.raises(DomainError):
        services.issue_token(user, actor=None, name="t")


# Pages ------------------------------------------------------------------------------------

def _csrf(client, path):
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def manager(client, login_as):
    client.set_cookie("lang", "en")
    return login_as(Role.district_office, "north")


def _unit_form(client, tree, **change):
    data = {"csrf_token": _csrf(client, "/units/new"), "code": "500112002", "name": "龙溪街道",
            "kind": "street", "department": "government", "parent_id": str(tree["north"].id),
            "boundary_geojson": ""}
    data.update(change)
    return data


def test_unit_form_creates_street(client, db, tree, manager):
    response = client.post("/units/new", data=_unit_form(client, tree))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    unit = db.session.scalar(select(Unit).where(Unit.code == "500112002"))
    assert unit is not None
    assert response.location.endswith(f"/units/{unit.id}")
    assert unit.parent_id == tree["north"].id and unit.kind is UnitKind.street
    assert unit.path.startswith(tree["north"].path)


def test_unit_form_bad_code_shows_error(client, db, tree, manager):
    before = unit_count(db)
    response = client.post("/units/new", data=_unit_form(client, tree, code="ABC-1"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="code"' in page
    assert "Use the 6-digit division code" in page
    assert unit_count(db) == before


def test_unit_form_duplicate_code_shows_error(client, db, tree, manager):
    before = unit_count(db)
    response = client.post("/units/new", data=_unit_form(client, tree, code="500112001"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="code"' in page and "500112001 is already used" in page
    assert unit_count(db) == before


def test_unit_form_refuses_parent_outside_scope(client, db, tree, manager):
    before = unit_count(db)
    response = client.post("/units/new",
                           data=_unit_form(client, tree, parent_id=str(tree["centre"].id)))
    assert response.status_code == 422
    assert 'data-field="parent_id"' in response.get_data(as_text=True)
    assert unit_count(db) == before


def test_unit_form_bad_boundary_shows_error(client, db, tree, manager):
    before = unit_count(db)
    response = client.post("/units/new", data=_unit_form(client, tree,
                                                         boundary_geojson="{not json"))
    assert response.status_code == 422
    assert 'data-field="boundary_geojson"' in response.get_data(as_text=True)
    assert unit_count(db) == before


def test_unit_form_without_csrf_is_refused(client, db, tree, manager):
    data = _unit_form(client, tree)
    del data["csrf_token"]
    response = client.post("/units/new", data=data)
    assert response.status_code in (400, 422)
    assert db.session.scalar(select(Unit).where(Unit.code == "500112002")) is None


def _user_form(client, tree, **change):
    data = {"csrf_token": _csrf(client, "/users/new"), "username": "newofficer",
            "full_name": "新警员", "role": "officer", "unit_id": str(tree["north_team"].id),
            "phone": "13800138000", "cert_no": "渝交执999999", "cert_expires_on": "2030-01-01",
            "password": GOOD_PASSWORD}
    data.update(change)
    return data


def test_user_form_creates_user(client, db, tree, manager):
    response = client.post("/users/new", data=_user_form(client, tree))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    user = db.session.scalar(select(User).where(User.username == "newofficer"))
    assert user is not None
    assert response.location.endswith(f"/users/{user.id}")
    assert user.role is Role.officer and user.unit_id == tree["north_team"].id
    assert user.password_hash.startswith("$argon2id$")
    assert user.cert_expires_on == dt.date(2030, 1, 1)


@pytest.mark.parametrize("password, message", [
    ("short", "Password must be at least 10 characters long."),
    ("password123456", "This password is too common or contains the user name."),
    ("newofficer-2024!", "This password is too common or contains the user name."),
])
def test_user_form_weak_password(client, db, tree, manager, password, message):
    before = user_count(db)
    response = client.post("/users/new", data=_user_form(client, tree, password=password))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="password"' in page
    assert message in page
    assert user_count(db) == before


def test_user_form_refuses_escalation_and_foreign_unit(client, db, tree, manager):
    before = user_count(db)
    response = client.post("/users/new", data=_user_form(client, tree, role="city_office"))
    assert response.status_code == 422
    assert 'data-field="role"' in response.get_data(as_text=True)
    response = client.post("/users/new",
                           data=_user_form(client, tree, unit_id=str(tree["centre_team"].id)))
    assert response.status_code == 422
    assert 'data-field="unit_id"' in response.get_data(as_text=True)
    assert user_count(db) == before


def _sheet_rows(response):
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIME
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [tuple(row) for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    return rows


def test_units_xlsx_export_in_scope(client, db, tree, manager):
    rows = _sheet_rows(client.get("/units?format=xlsx"))
    assert rows[0][:2] == ("Code", "Name")
    assert {row[0] for row in rows[1:]} == {"500112", "500112001", "500112-JT01"}
    assert len(rows) == 4
    street = next(row for row in rows if row[0] == "500112001")
    assert street[1] == "双龙湖街道" and street[4] == "500112"


def test_users_xlsx_export_in_scope(client, db, tree, manager):
    inside = UserFactory(role=Role.officer, unit=tree["north_street"])
    outside = UserFactory(role=Role.officer, unit=tree["centre_team"])
    above = UserFactory(role=Role.city_office, unit=tree["city"])
    db.session.flush()
    rows = _sheet_rows(client.get("/users?format=xlsx"))
    assert rows[0][0] == "User name"
    names = {row[0] for row in rows[1:]}
    assert names == {manager.username, inside.username}
    assert outside.username not in names and above.username not in names


def test_units_xlsx_neutralises_formulas(client, db, tree, manager):
    from tests.factories import UnitFactory

    UnitFactory(code="500112003", name="=HYPERLINK(\"http://x\",\"y\")", kind=UnitKind.street,
                parent=tree["north"])
    db.session.flush()
    rows = _sheet_rows(client.get("/units?format=xlsx"))
    row = next(row for row in rows if row[0] == "500112003")
    assert row[1] == "'=HYPERLINK(\"http://x\",\"y\")"


@pytest.mark.parametrize("fmt", ["", "xlsx"])
def test_units_page_unknown_kind_is_not_500(client, db, tree, manager, fmt):
    response = client.get("/units", query_string={"kind": "bogus", "format": fmt})
    assert response.status_code in (200, 400, 422)


def test_disabled_user_is_logged_out(client, db, tree, login_as):
    user = login_as(Role.officer, "north_team")
    assert client.get("/").status_code == 200
    services.set_user_active(user, actor=None, active=False)
    db.session.flush()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/api/v1/units").status_code == 401


def test_officer_cannot_create_users(client, db, login_as):
    login_as(Role.officer, "north_team")
    assert client.get("/users/new").status_code == 403
    assert client.get("/units/new").status_code == 403


# CLI --------------------------------------------------------------------------------------

def _create_bob(runner, password=GOOD_PASSWORD, unit="500112-JT01"):
    return runner.invoke(args=["users", "create", "bob", "--role", "officer", "--unit", unit,
                               "--password-stdin"], input=password + "\n")


def test_cli_create_user(runner, db, tree):
    result = _create_bob(runner)
    assert result.exit_code == 0, result.output
    assert "bob" in result.output
    user = db.session.scalar(select(User).where(User.username == "bob"))
    assert user is not None
    assert user.role is Role.officer and user.unit.code == "500112-JT01"
    assert security.verify_password(user, GOOD_PASSWORD)


def test_cli_create_user_lowercase_unit_code(runner, db, tree):
    result = _create_bob(runner, unit="500112-jt01")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("password", ["short", "password123456", "bob-is-a-good-guy"])
def test_cli_create_user_weak_password(runner, db, tree, password):
    result = _create_bob(runner, password=password)
    assert result.exit_code == 2
    assert "password" in result.output.lower()
    assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_cli_create_user_unknown_unit(runner, db, tree):
    result = _create_bob(runner, unit="999999")
    assert result.exit_code == 2
    assert "999999" in result.output
    assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_cli_token_then_disable(runner, client, db, tree):
    assert _create_bob(runner).exit_code == 0
    result = runner.invoke(args=["users", "token", "bob"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith(security.TOKEN_PREFIX)

    headers = {"Authorization": f"Bearer {raw}"}
    response = client.get("/api/v1/units", headers=headers)
    assert response.status_code == 200
    assert [item["code"] for item in response.get_json()["items"]] == ["500112-JT01"]

    result = runner.invoke(args=["users", "disable", "bob"])
    assert result.exit_code == 0, result.output
    response = client.get("/api/v1/units", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"

    result = runner.invoke(args=["users", "token", "bob"])
    assert result.exit_code == 2


def test_cli_create_user_twice(runner, db, tree):
    assert _create_bob(runner).exit_code == 0
    result = _create_bob(runner)
    assert result.exit_code == 2
    assert "username" in result.output
    assert db.session.scalar(select(func.count(User.id)).where(User.username == "bob")) == 1


def test_cli_create_user_certificate_without_expiry(runner, db, tree):
    result = runner.invoke(args=["users", "create", "bob", "--role", "officer", "--unit",
                                 "500112-JT01", "--cert-no", "渝交执000001", "--password-stdin"],
                           input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 2
    assert "cert_expires_on" in result.output


def test_cli_create_user_with_certificate(runner, db, tree):
    result = runner.invoke(args=["users", "create", "bob", "--role", "officer", "--unit",
                                 "500112-JT01", "--cert-no", "渝交执000001", "--cert-expires",
                                 "2030-06-30", "--password-stdin"], input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "bob"))
    assert user.cert_expires_on == dt.date(2030, 6, 30)


def test_cli_token_unknown_user(runner, db, tree):
    result = runner.invoke(args=["users", "token", "nobody"])
    assert result.exit_code == 2
    assert "nobody" in result.output
