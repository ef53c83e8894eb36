"""Tips: public intake by page and API, receipt codes, bad input, rate limit, review steps,
deadlines, duplicates and merge, assignment by location, the scoped queue."""
from __future__ import annotations

import datetime as dt
import io
import math
import re

import pytest
from sqlalchemy import select

from core import geo
from core.errors import ConflictError, DomainError
from core.roles import Role
from enforcement.cases.calendar import seed_holidays
from enforcement.tips import services
from enforcement.tips.models import Tip, TipMessage, TipPhoto, TipStatus
from extensions import db as _db
from extensions import limiter
from tests.conftest import csrf_token, make_app
from tests.factories import UserFactory, photo_bytes

JPEG = photo_bytes()
CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$")


def square(x1, y1, x2, y2):
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


@pytest.fixture
def city(db, tree):
    """The city covers 106–107°E, 29–30°N; North district the eastern half of it."""
    tree["city"].boundary_geojson = square(106.0, 29.0, 107.0, 30.0)
    tree["north"].boundary_geojson = square(106.5, 29.0, 107.0, 30.0)
    db.session.flush()
    geo.invalidate_unit_shapes()
    seed_holidays([2025, 2026, 2027])
    return tree


def _input(**over) -> services.TipInput:
    data = dict(what="黑车拉客", description="重庆北站北广场有人以每人40元拉客",
                occurred_at=services.utcnow() - dt.timedelta(hours=1), address="重庆北站北广场",
                lat=29.61, lng=106.80, plates=["渝A12345"])
    data.update(over)
    return services.TipInput(**data)


def _form(token, **over):
    data = {"csrf_token": token, "what": "黑车拉客", "description": "北广场有人拉客",
            "occurred_at": (dt.datetime.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "address": "重庆北站", "lat": "29.61", "lng": "106.80", "plates": "渝A12345",
            "name": "", "phone": ""}
    data.update(over)
    return data


def _api_body(**over):
    body = {"what": "黑车拉客", "description": "北广场有人拉客",
            "occurred_at": (services.utcnow() - dt.timedelta(hours=1)).isoformat(),
            "address": "重庆北站", "lat": 29.61, "lng": 106.8, "plates": ["渝A12345"]}
    body.update(over)
    return body


def _count():
    return _db.session.scalar(select(_db.func.count(Tip.id)))


# Pure helpers --------------------------------------------------------------------------------

def test_receipt_format_and_entropy():
    code = services.format_receipt("ABCD2345", "0" * 20)
    assert CODE_RE.match(code)
    assert services.parse_receipt(code.lower().replace("-", " ")) == ("ABCD2345", "0" * 20)
    assert services.parse_receipt("OOOO-IIII-" + "L" * 20) == ("00001111", "1" * 20)
    assert services.parse_receipt("ABCD-2345") is None
    assert services.SECRET_CHARS * math.log2(len(services.ALPHABET)) >= 80


def test_clean_text_strips_control_and_zero_width():
    assert services.clean_text("  黑\u200b车\u0007拉\u202e客\r\n第二行 ") == "黑车拉客\n第二行"
    assert services.clean_text("\u200b\u200d\ufeff") == ""


# Public page ---------------------------------------------------------------------------------

def test_public_form_gives_receipt_once_and_stores_only_hash(client, city):
    token = csrf_token(client, "/tips/new")
    response = client.post("/tips/new", data=_form(
        token, photos=(io.BytesIO(JPEG), "scene.jpg")), content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    code = re.search(r'data-testid="receipt-code">([^<]+)<', page).group(1)
    assert CODE_RE.match(code)
    assert "/tips/status" in page
    tip = _db.session.scalar(select(Tip).order_by(Tip.id.desc()))
    assert tip.status is TipStatus.received and tip.channel.value == "web"
    assert tip.unit_id == city["north"].id  # the point lies in North's boundary
    assert tip.plate_list == ["渝A12345"] and len(tip.photos) == 1
    assert tip.photos[0].mime == "image/jpeg"
    assert tip.receipt_hash.startswith("$argon2")
    lookup, secret = services.parse_receipt(code)
    assert tip.receipt_lookup == lookup and secret not in tip.receipt_hash
    assert services.find_by_receipt(code) == tip
    # The status page shows the status, by code in the body (never in the URL).
    token = csrf_token(client, "/tips/status")
    status = client.post("/tips/status", data={"csrf_token": token, "code": code})
    assert status.status_code == 200 and 'data-status="received"' in status.get_data(as_text=True)
    assert status.headers["Cache-Control"] == "no-store"
    wrong = client.post("/tips/status", data={"csrf_token": token, "code": code[:-1] + (
        "0" if code[-1] != "0" else "1")})
    assert wrong.status_code == 404 and 'data-status' not in wrong.get_data(as_text=True)


def test_informant_and_reviewer_exchange_messages(client, city, login_as):
    tip, code = services.submit_tip(_input(), channel="web")
    token = csrf_token(client, "/tips/status")
    response = client.post("/tips/status/reply", data={"csrf_token": token, "code": code,
                                                       "body": "车还在那里"})
    assert response.status_code == 200 and "车还在那里" in response.get_data(as_text=True)
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    services.reviewer_message(tip, reviewer, "已收到，正在核查")
    bodies = [(m.from_informant, m.body) for m in
              _db.session.scalars(select(TipMessage).where(TipMessage.tip_id == tip.id)
                                  .order_by(TipMessage.id))]
    assert bodies == [(True, "车还在那里"), (False, "已收到，正在核查")]
    page = client.post("/tips/status", data={"csrf_token": token, "code": code})
    assert "已收到，正在核查" in page.get_data(as_text=True)


@pytest.mark.parametrize("over, field_name", [
    ({"description": ""}, "description"),
    ({"description": "长" * 10_000}, "description"),
    ({"description": "\u200b\u200c\u0007"}, "description"),
    ({"what": "  "}, "what"),
    ({"lat": "35.0", "lng": "106.8"}, "lat"),
    ({"lat": "", "lng": ""}, "lat"),
    ({"occurred_at": (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")},
     "occurred_at"),
    ({"plates": "渝A1"}, "plates"),
    ({"phone": "12345"}, "phone"),
    ({"wants_reward": "y"}, "name"),
])
def test_public_form_refuses_bad_input(client, city, over, field_name):
    before = _count()
    token = csrf_token(client, "/tips/new")
    response = client.post("/tips/new", data=_form(token, **over))
    assert response.status_code == 422
    assert f'data-field="{field_name}"' in response.get_data(as_text=True)
    assert _count() == before


def test_control_characters_are_stripped_from_stored_text(db, city):
    tip, _code = services.submit_tip(_input(description="有人\u200b拉\u0000客\u202e"),
                                     channel="web")
    assert tip.description == "有人拉客"


def _file_count(app) -> int:
    import os

    root = app.config["STORAGE_PATH"]
    return sum(len(f) for area in ("tips", "tips-originals")
               for _r, _d, f in os.walk(os.path.join(root, area)))


def test_public_form_refuses_html_disguised_as_photo(client, city, app):
    before_files, before = _file_count(app), _count()
    token = csrf_token(client, "/tips/new")
    response = client.post("/tips/new", data=_form(token, photos=(
        io.BytesIO(b"<html><script>alert(1)</script></html>"), "photo.jpg")),
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'data-field="photos"' in response.get_data(as_text=True)
    assert _count() == before and _file_count(app) == before_files


def test_oversized_upload_refused_and_earlier_files_removed(db, city, app):
    before_files, before = _file_count(app), _count()
    big = JPEG + b"\x00" * (services.settings.get("tips.max_upload_mb") * 1024 * 1024)
    with pytest.raises(DomainError) as exc:
        services.submit_tip(_input(photos=[services.PhotoUpload(io.BytesIO(JPEG)),
                                           services.PhotoUpload(io.BytesIO(big))]),
                            channel="web")
    assert "photos" in exc.value.fields
    assert _count() == before and _file_count(app) == before_files


# Public API ----------------------------------------------------------------------------------

def test_api_submit_and_status(client, city):
    response = client.post("/api/v1/tips", json=_api_body())
    assert response.status_code == 201, response.get_json()
    assert set(response.get_json()) == {"receipt_code"}
    code = response.get_json()["receipt_code"]
    assert CODE_RE.match(code)
    status = client.get(f"/api/v1/tips/status/{code}")
    assert status.status_code == 200 and status.get_json() == {"status": "received"}
    tip = services.find_by_receipt(code)
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    services.accept(tip, reviewer)
    services.conclude(tip, reviewer, "verified", "现场查获")
    assert client.get(f"/api/v1/tips/status/{code}").get_json() == {"status": "verified"}


def test_api_unknown_or_wrong_code_is_404(client, city):
    code = client.post("/api/v1/tips", json=_api_body()).get_json()["receipt_code"]
    wrong_secret = code[:-4] + ("2222" if not code.endswith("2222") else "3333")
    for bad in (wrong_secret, "ZZZZ-ZZZZ-" + code[10:], "nonsense"):
        response = client.get(f"/api/v1/tips/status/{bad}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_api_bad_input_gives_field_errors(client, city):
    before = _count()
    response = client.post("/api/v1/tips", json=_api_body(description="x" * 10_000,
                                                          lat=10.0, lng=10.0,
                                                          plates=["渝A1"]))
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"description", "lat", "plates"} <= set(fields)
    future = (services.utcnow() + dt.timedelta(days=1)).isoformat()
    response = client.post("/api/v1/tips", json=_api_body(occurred_at=future))
    assert "occurred_at" in response.get_json()["error"]["fields"]
    assert client.post("/api/v1/tips", json={}).status_code == 422
    assert _count() == before


def test_receipt_code_is_in_no_column(client, city):
    code = client.post("/api/v1/tips", json=_api_body(name="李四", phone="13800138000",
                                                      wants_reward=True)).get_json()[
        "receipt_code"]
    tip = services.find_by_receipt(code)
    _lookup, secret = services.parse_receipt(code)
    services.informant_message(tip, "补充情况")
    _db.session.flush()
    for table in ("tips", "tip_plates", "tip_photos", "tip_messages", "tip_cases", "audit_log"):
        for row in _db.session.execute(_db.text(f"SELECT * FROM {table}")).mappings():
            for value in row.values():
                if isinstance(value, str):
                    assert secret not in value.replace("-", "")
                    assert code not in value


def test_public_api_rate_limited(database_url, monkeypatch):
    """With the limiter on, the public endpoints answer 429 after TIP_RATE_LIMIT requests."""
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)  # restored after the test
    app = make_app(database_url, RATELIMIT_ENABLED=True, TIP_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/api/v1/tips", json={}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    body = client.get("/api/v1/tips/status/AAAA-AAAA").get_json()
    assert body["error"]["code"] == "too_many_requests"
    other = app.test_client()
    response = other.post("/api/v1/tips", json={},
                          environ_overrides={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 422  # another client has its own budget
    # The limiter's key is a salted hash: the raw address appears nowhere in it.
    with app.test_request_context("/", environ_overrides={"REMOTE_ADDR": "10.9.9.9"}):
        from enforcement.tips.public import client_key

        key = client_key()
    assert "10.9.9.9" not in key and len(key) > 60


# Review steps and deadlines ------------------------------------------------------------------

def test_deadlines_are_stored_on_the_tip(db, city):
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    import time_machine

    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=dt.timezone.utc), tick=False):
        tip, _code = services.submit_tip(_input(occurred_at=services.utcnow()
                                                - dt.timedelta(hours=1)), channel="web")
        # 1 working day, skipping the National Day holiday (Oct 1–7 2026; Oct 10 is a workday).
        assert tip.accept_due_on > dt.date(2026, 10, 1)
        services.accept(tip, reviewer)
        assert tip.conclude_due_on >= dt.date(2026, 10, 15)
        services.conclude(tip, reviewer, "unfounded", "未发现")
        assert tip.reply_due_on > dt.date(2026, 9, 30)
        assert tip.concluded_at is not None and tip.replied_at is None
        services.reviewer_message(tip, reviewer, "经核查不属实")
        assert tip.replied_at is not None


def test_verdict_requires_reason_and_order(db, city):
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    tip, _code = services.submit_tip(_input(), channel="web")
    with pytest.raises(ConflictError):
        services.conclude(tip, reviewer, "verified", "属实")  # not accepted yet
    services.accept(tip, reviewer)
    with pytest.raises(DomainError) as exc:
        services.conclude(tip, reviewer, "verified", "  \u200b ")
    assert exc.value.fields == {"reason": [exc.value.fields["reason"][0]]}
    with pytest.raises(DomainError):
        services.conclude(tip, reviewer, "maybe", "理由")
    assert tip.verdict is None and tip.status is TipStatus.accepted
    services.conclude(tip, reviewer, "partly_verified", "部分属实")
    assert tip.status is TipStatus.partly_verified
    services.close(tip, reviewer)
    assert tip.status is TipStatus.closed


def test_claim_hint_only_for_verified_tips_wanting_reward(db, city):
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    tip, _code = services.submit_tip(_input(name="李四", phone="13800138000",
                                            wants_reward=True), channel="web")
    assert services.public_status(tip) == {"status": "received"}
    services.accept(tip, reviewer)
    services.conclude(tip, reviewer, "verified", "现场查获")
    info = services.public_status(tip)
    assert set(info) == {"status", "claim_hint"} and info["status"] == "verified"


def test_link_case_must_be_in_scope(db, city):
    from enforcement.cases import services as case_services
    from enforcement.violations.seed import seed_violation_types

    seed_violation_types()
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    officer_centre = UserFactory(role=Role.officer, unit=city["centre_team"])
    officer_north = UserFactory(role=Role.officer, unit=city["north_team"])

    def case_of(officer):
        return case_services.create_case(actor=officer, unit=officer.unit,
                                         data=case_services.CaseInput(
                                             origin="tip", occurred_at=services.utcnow(),
                                             address="重庆北站"))

    tip, _code = services.submit_tip(_input(), channel="web")
    services.accept(tip, reviewer)
    with pytest.raises(DomainError):
        services.link_case(tip, reviewer, case_of(officer_centre))
    services.link_case(tip, reviewer, case_of(officer_north))
    assert tip.status is TipStatus.investigating and len(tip.case_links) == 1


def test_assignment_by_location_and_manual_override(db, city):
    in_north, _ = services.submit_tip(_input(lat=29.5, lng=106.9), channel="web")
    in_city, _ = services.submit_tip(_input(lat=29.5, lng=106.2), channel="web")
    assert in_north.unit_id == city["north"].id
    assert in_city.unit_id == city["city"].id  # no district boundary: the city holds it
    office = UserFactory(role=Role.district_office, unit=city["north"])
    with pytest.raises(DomainError):
        services.assign(in_north, office, city["centre"])
    services.assign(in_north, office, city["north_team"])
    assert in_north.unit_id == city["north_team"].id


def test_hotline_tip_without_point_goes_to_city(db, city):
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["city"])
    tip, code = services.submit_tip(_input(lat=None, lng=None), channel="hotline_12328",
                                    actor=reviewer)
    assert tip.unit_id == city["city"].id and CODE_RE.match(code)
    with pytest.raises(DomainError):
        services.submit_tip(_input(), channel="hotline_12345", actor=None)


# Duplicates ----------------------------------------------------------------------------------

def test_duplicates_by_plate_or_place_and_merge(db, city):
    reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    first, _ = services.submit_tip(_input(plates=["渝A12345"], lat=29.50, lng=106.90),
                                   channel="web")
    same_plate, _ = services.submit_tip(_input(plates=["渝a·12345"], lat=29.9, lng=106.6),
                                        channel="web")
    near, _ = services.submit_tip(_input(plates=[], lat=29.5010, lng=106.9010), channel="web")
    far, _ = services.submit_tip(_input(plates=["渝B99999"], lat=29.7, lng=106.7),
                                 channel="web")
    found = services.find_duplicates(first, reviewer)
    assert {t.id for t in found} == {same_plate.id, near.id}
    assert far not in found
    # Outside the window, nothing is a duplicate.
    same_plate.created_at = first.created_at + dt.timedelta(days=30)
    near.created_at = first.created_at + dt.timedelta(days=30)
    _db.session.flush()
    assert services.find_duplicates(first, reviewer) == []
    # Merging keeps the earliest as primary, whichever way round it is asked.
    primary = services.merge(first, same_plate, reviewer)
    assert primary is first
    assert same_plate.merged_into_id == first.id and same_plate.status is TipStatus.closed
    with pytest.raises(ConflictError):
        services.merge(same_plate, far, reviewer)


def test_duplicates_are_scoped(db, city):
    north_reviewer = UserFactory(role=Role.tip_reviewer, unit=city["north"])
    centre_reviewer = UserFactory(role=Role.tip_reviewer, unit=city["centre"])
    a, _ = services.submit_tip(_input(), channel="web")
    b, _ = services.submit_tip(_input(), channel="web")
    services.assign(b, north_reviewer, city["north"])
    assert services.find_duplicates(a, north_reviewer) == [b]
    assert services.find_duplicates(a, centre_reviewer) == []


# Staff pages ---------------------------------------------------------------------------------

def test_queue_is_scoped_and_steps_work(client, city, login_as):
    mine, _ = services.submit_tip(_input(what="北区举报"), channel="web")
    other, _ = services.submit_tip(_input(what="渝中举报"), channel="web")
    other.unit_id = city["centre"].id
    _db.session.flush()
    login_as(Role.tip_reviewer, "north")
    page = client.get("/tips").get_data(as_text=True)
    assert "北区举报" in page and "渝中举报" not in page
    assert client.get(f"/tips/{other.id}").status_code == 404
    assert client.get(f"/tips/{mine.id}").status_code == 200
    token = csrf_token(client, f"/tips/{mine.id}")
    response = client.post(f"/tips/{mine.id}/accept", data={"csrf_token": token})
    assert response.status_code == 302
    response = client.post(f"/tips/{mine.id}/conclude", data={"csrf_token": token,
                                                             "verdict": "verified", "reason": ""})
    assert response.status_code == 422 and 'data-field="reason"' in response.get_data(
        as_text=True)
    response = client.post(f"/tips/{mine.id}/conclude", data={"csrf_token": token,
                                                             "verdict": "verified",
                                                             "reason": "现场查获"})
    assert response.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Tip, mine.id).status is TipStatus.verified
    overdue = client.get("/tips?overdue=1").get_data(as_text=True)
    assert "北区举报" not in overdue


def test_overdue_filter(client, city, login_as):
    late, _ = services.submit_tip(_input(what="逾期举报"), channel="web")
    fresh, _ = services.submit_tip(_input(what="新举报"), channel="web")
    late.accept_due_on = dt.date(2020, 1, 1)
    _db.session.flush()
    login_as(Role.unit_leader, "north")
    page = client.get("/tips?overdue=1").get_data(as_text=True)
    assert "逾期举报" in page and "新举报" not in page


def test_hotline_entry_page(client, city, login_as):
    login_as(Role.tip_reviewer, "north")
    token = csrf_token(client, "/tips/hotline")
    response = client.post("/tips/hotline", data=_form(token, channel="hotline_12328",
                                                       lat="", lng=""))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert CODE_RE.match(re.search(r'data-testid="receipt-code">([^<]+)<',
                                   response.get_data(as_text=True)).group(1))
    tip = _db.session.scalar(select(Tip).order_by(Tip.id.desc()))
    assert tip.channel.value == "hotline_12328" and tip.created_by_id is not None


def test_photo_copy_for_readers_original_for_tip_reviewers_only(client, city, login_as):
    token = csrf_token(client, "/tips/new")
    client.post("/tips/new", data=_form(token, photos=(io.BytesIO(JPEG), "a.jpg")),
                content_type="multipart/form-data")
    photo = _db.session.scalar(select(TipPhoto).order_by(TipPhoto.id.desc()))
    login_as(Role.unit_leader, "north")
    copy = client.get(f"/tips/photos/{photo.id}")
    assert copy.status_code == 200 and b"SECRET-AUTHOR" not in copy.data
    copy.close()
    assert client.get(f"/tips/photos/{photo.id}/original").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tips")})
    login_as(Role.tip_reviewer, "north")
    response = client.get(f"/tips/photos/{photo.id}/original")
    assert response.status_code == 200 and response.data == JPEG
