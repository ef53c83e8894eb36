"""Cases through HTTP: the roadside form, list and export, steps, evidence, API, deadlines."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from sqlalchemy import select

from core import services as core_services
from core.roles import Role
from enforcement.cases import services
from enforcement.cases.calendar import seed_holidays
from enforcement.cases.models import Case, CaseStatus
from enforcement.violations.seed import seed_violation_types
from extensions import db as _db
from tests.conftest import csrf_token
from tests.factories import UserFactory

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200


@pytest.fixture
def team(db, tree):
    seed_violation_types()
    seed_holidays([2025, 2026])
    partner = UserFactory(role=Role.officer, unit=tree["north_team"])
    return {"partner": partner}


def _form(token, partner_id, **over):
    data = {"csrf_token": token, "origin": "patrol", "occurred_at": "2026-11-20T08:30",
            "address": "重庆北站北广场", "lat": "29.6106", "lng": "106.5513",
            "violation_code": "FY-KY", "facts": "以每人40元载客", "officer_ids": [partner_id],
            "vehicles-0-plate": "渝ａ-O2345", "vehicles-0-plate_colour": "blue",
            "vehicles-0-kind": "car", "parties-0-name": "王五", "parties-0-role": "driver",
            "parties-0-phone": "138 0013 8000", "vehicles-1-kind": "car",
            "parties-1-role": "driver"}
    data.update(over)
    return data


def test_officer_logs_a_case_with_the_form(client, login_as, team):
    officer = login_as(Role.officer, "north_team")
    token = csrf_token(client, "/cases/new")
    response = client.post("/cases/new", data=_form(token, team["partner"].id,
                                                    officer_ids=[officer.id,
                                                                 team["partner"].id]))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = _db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.status is CaseStatus.draft
    assert case.vehicles[0].vehicle.plate == "渝A02345"
    assert case.parties[0].person.phone == "13800138000"
    page = client.get(response.location).get_data(as_text=True)
    assert case.number in page
    listing = client.get("/cases?plate=渝A02345").get_data(as_text=True)
    assert case.number in listing


@pytest.mark.parametrize("field, value", [
    ("vehicles-0-plate", "ABC"), ("parties-0-phone", "12345"),
    ("occurred_at", "2099-01-01T10:00"), ("violation_code", "NOPE"),
])
def test_bad_form_input_is_named_and_nothing_saved(client, login_as, team, field, value):
    login_as(Role.officer, "north_team")
    before = _db.session.scalar(select(Case.id).order_by(Case.id.desc()))
    token = csrf_token(client, "/cases/new")
    response = client.post("/cases/new", data=_form(token, team["partner"].id, **{field: value}))
    assert response.status_code == 422
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert _db.session.scalar(select(Case.id).order_by(Case.id.desc())) == before


def _api_case(client, token, **over):
    body = {"origin": "patrol", "occurred_at": "2026-11-20T08:30:00+08:00",
            "address": "江北机场T3", "violation_code": "FY-KY",
            "vehicles": [{"plate": "渝B12345"}], "parties": [{"name": "赵六"}]}
    body.update(over)
    return client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})


def _token(user):
    raw = core_services.issue_token(user, actor=None, name="t")
    _db.session.flush()
    return raw


def test_api_create_list_detail_and_conflict(client, tree, team):
    officer = UserFactory(role=Role.officer, unit=tree["north_team"])
    token = _token(officer)
    created = _api_case(client, token, officer_ids=[officer.id, team["partner"].id])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "draft" and body["vehicles"][0]["plate"] == "渝B12345"
    auth = {"Authorization": f"Bearer {token}"}
    listing = client.get("/api/v1/cases?plate=渝b·12345", headers=auth).get_json()
    assert [c["number"] for c in listing["items"]] == [body["number"]]
    detail = client.get(f"/api/v1/cases/{body['id']}", headers=auth).get_json()
    assert detail["history"][0]["action"] == "create"
    wrong = client.post(f"/api/v1/cases/{body['id']}/transitions", json={"to": "closed"},
                        headers=auth)
    assert wrong.status_code == 409 and wrong.get_json()["error"]["code"] == "conflict"
    ok = client.post(f"/api/v1/cases/{body['id']}/transitions", json={"to": "registered"},
                     headers=auth)
    assert ok.status_code == 201 and ok.get_json()["to_status"] == "registered"


def test_api_bad_input_is_422_with_fields(client, tree, team):
    token = _token(UserFactory(role=Role.officer, unit=tree["north_team"]))
    response = _api_case(client, token, vehicles=[{"plate": "not a plate"}])
    assert response.status_code == 422
    assert "vehicles.0.plate" in response.get_json()["error"]["fields"]
    response = _api_case(client, token, occurred_at="yesterday")
    assert response.status_code == 422 and "occurred_at" in response.get_json()["error"]["fields"]


def test_other_units_cases_are_invisible_everywhere(client, tree, team):
    north = UserFactory(role=Role.officer, unit=tree["north_team"])
    centre = UserFactory(role=Role.officer, unit=tree["centre_team"])
    theirs = _api_case(client, _token(centre)).get_json()
    token = _token(north)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/cases/{theirs['id']}", headers=auth).status_code == 404
    assert client.post(f"/api/v1/cases/{theirs['id']}/transitions", json={"to": "registered"},
                       headers=auth).status_code == 404
    listing = client.get("/api/v1/cases?limit=500", headers=auth).get_json()
    assert theirs["number"] not in {c["number"] for c in listing["items"]}


def test_xlsx_export_has_exactly_the_filtered_rows(client, login_as, team, tree):
    officer = login_as(Role.officer, "north_team")
    for plate in ("渝A11111", "渝A22222"):
        services.create_case(actor=officer, unit=tree["north_team"], data=services.CaseInput(
            origin="patrol", occurred_at=services.utcnow(), address="观音桥",
            vehicles=[services.VehicleInput(plate=plate)]))
    _db.session.flush()
    response = client.get("/cases?format=xlsx&plate=渝A22222")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][7] == "渝A22222"
    csv_text = client.get("/cases?format=csv").get_data(as_text=True)
    assert "渝A11111" in csv_text and "渝A22222" in csv_text


def _draft(officer, tree):
    case = services.create_case(actor=officer, unit=tree["north_team"], data=services.CaseInput(
        origin="patrol", occurred_at=services.utcnow(), address="解放碑",
        vehicles=[services.VehicleInput(plate="渝A33333")]))
    _db.session.flush()
    return case


def test_evidence_upload_checks_content_and_serves_as_attachment(client, login_as, team, tree,
                                                                 app, monkeypatch):
    officer = login_as(Role.officer, "north_team")
    case = _draft(officer, tree)
    token = csrf_token(client, f"/cases/{case.id}")
    disguised = client.post(f"/cases/{case.id}/evidence", data={
        "csrf_token": token, "file": (io.BytesIO(b"#!/bin/sh\nrm -rf /"), "photo.jpg")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "not accepted" in disguised.get_data(as_text=True) or \
        "不接受" in disguised.get_data(as_text=True)
    good = client.post(f"/cases/{case.id}/evidence", data={
        "csrf_token": token, "file": (io.BytesIO(JPEG), "现场.jpg")},
        content_type="multipart/form-data")
    assert good.status_code == 302
    _db.session.expire_all()
    evidence = _db.session.get(Case, case.id).evidence
    assert len(evidence) == 1 and evidence[0].mime == "image/jpeg"
    import hashlib

    assert evidence[0].sha256 == hashlib.sha256(JPEG).hexdigest()
    download = client.get(f"/cases/evidence/{evidence[0].id}")
    assert download.data == JPEG
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()


def test_oversized_upload_is_refused(client, login_as, team, tree, app, monkeypatch):
    officer = login_as(Role.officer, "north_team")
    case = _draft(officer, tree)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/evidence", data={
        "csrf_token": token, "file": (io.BytesIO(JPEG * 20), "big.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 413


def test_deadline_list_with_frozen_time(client, login_as, team, tree):
    leader = UserFactory(role=Role.unit_leader, unit=tree["north_team"])
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone.utc), tick=False):
        case = services.create_case(actor=leader, unit=tree["north_team"],
                                    data=services.CaseInput(
                                        origin="patrol", occurred_at=services.utcnow(),
                                        address="南坪", violation_code="FY-KY",
                                        officer_ids=[leader.id, team["partner"].id],
                                        vehicles=[services.VehicleInput(plate="渝A44444")]))
        services.transition(case, actor=leader, to="registered")
        _db.session.flush()
        decision = next(c for c in case.clocks if c.name == "decision")
        assert decision.due_on == dt.date(2026, 4, 7)  # 90 days from 5 Jan: Sun 5 Apr → Qingming
    # (a session cookie signed in the future is refused, so log in at each point in time)
    with time_machine.travel(dt.datetime(2026, 4, 6, 2, tzinfo=dt.timezone.utc), tick=False):
        login_as(Role.officer, "north_team")
        page = client.get("/cases/deadlines").get_data(as_text=True)
        assert case.number in page and "table-warning" in page  # due soon, not overdue
    with time_machine.travel(dt.datetime(2026, 4, 9, 2, tzinfo=dt.timezone.utc), tick=False):
        login_as(Role.officer, "north_team")
        page = client.get("/cases/deadlines").get_data(as_text=True)
        assert case.number in page and "table-danger" in page  # the overdue row


def test_plate_and_id_lookups_show_history_at_once(client, login_as, team, tree):
    officer = login_as(Role.officer, "north_team")
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    body = "50011219850505123"
    id_no = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    case = services.create_case(actor=officer, unit=tree["north_team"], data=services.CaseInput(
        origin="patrol", occurred_at=services.utcnow(), address="龙头寺",
        vehicles=[services.VehicleInput(plate="渝A55555")],
        parties=[services.PartyInput(name="钱七", id_number=id_no)]))
    _db.session.flush()
    plate = client.get("/vehicles/lookup?plate=渝a 55555").get_json()
    assert plate["plate"] == "渝A55555" and plate["valid"]
    assert [c["number"] for c in plate["earlier_cases"]] == [case.number]
    near = client.get("/vehicles/lookup?plate=渝A55556").get_json()
    assert near["near_matches"] == ["渝A55555"] and near["earlier_cases"] == []
    person = client.get(f"/persons/lookup?id_number={id_no.lower()}").get_json()
    assert person["valid"] and [c["number"] for c in person["earlier_cases"]] == [case.number]
    bad = client.get("/persons/lookup?id_number=500112198505051230").get_json()
    assert not bad["valid"] and bad["message"]
