"""Joint-enforcement pages and API through the client: a district office plans and records a
concentrated action end to end, bad input answers 422 naming the field, lists export to XLSX."""
from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from core.models import Department, UnitKind
from core.roles import Role
from enforcement.joint import meetings
from enforcement.joint.models import ActionStatus, JointAction, RuleBreach, Zone
from tests.conftest import csrf_token
from tests.factories import UnitFactory

STATION = ('{"type": "Polygon", "coordinates": [[[106.545, 29.605], [106.555, 29.605], '
           '[106.555, 29.612], [106.545, 29.612], [106.545, 29.605]]]}')


def _plan(client, **change):
    token = csrf_token(client, "/joint/actions/new")
    data = {"csrf_token": token, "kind": "concentrated_action", "name": "北站集中整治",
            "planned_start": "2026-03-10T08:00", "planned_end": "2026-03-11T20:00",
            "host_unit_id": "0", "participants": "500112-JT01 12\n500112-GA01 4",
            "phases": "", "drawn_area": STATION, "description": "北站南广场"}
    data.update(change)
    return client.post("/joint/actions/new", data=data)


def test_district_office_plans_and_records_a_concentrated_action(client, db, tree, login_as):
    UnitFactory(code="500112-GA01", name="渝北公安分局", kind=UnitKind.department,
                department=Department.police, parent=tree["north"])
    login_as(Role.district_office, "north")
    response = _plan(client)
    assert response.status_code == 302
    action = db.session.scalar(select(JointAction).order_by(JointAction.id.desc()))
    page = client.get(response.location).get_data(as_text=True)
    assert 'data-testid="breach-warning"' in page and "16" in page  # 16 < 20 people
    assert [b.rule for b in action.breaches] == ["concentrated_people"]
    assert action.areas[0].geojson["type"] == "Polygon"
    token = csrf_token(client, f"/joint/actions/{action.id}")
    assert client.post(f"/joint/actions/{action.id}/approve",
                       data={"csrf_token": token}).status_code == 302
    response = client.post(f"/joint/actions/{action.id}/results", data={
        "csrf_token": token, "actual_start": "2026-03-10T08:00",
        "actual_end": "2026-03-11T19:00", "vehicles_checked": "180", "vehicles_detained": "6",
        "fines": "9000", "violent_incidents": "0", "media_reports": "2", "case_numbers": "",
        "note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(JointAction, action.id)
    assert action.status is ActionStatus.completed and action.vehicles_checked == 180
    breaches = client.get("/joint/breaches").get_data(as_text=True)
    assert breaches.count('data-testid="breach-row"') == 1
    listing = client.get("/joint/actions?breaches=1&month=2026-03").get_data(as_text=True)
    assert listing.count('data-testid="action-row"') == 1
    calendar = client.get("/joint/actions/calendar?month=2026-03").get_data(as_text=True)
    assert calendar.count('data-testid="calendar-action"') == 2  # two days
    xlsx = client.get("/joint/actions?format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][1] == "北站集中整治" and rows[1][8] == 180


def test_bad_plans_answer_422_naming_the_field(client, db, tree, login_as):
    login_as(Role.district_office, "north")
    cases = [({"planned_end": "2026-03-09T08:00"}, "planned_end"),
             ({"participants": "500112-JT01 -3"}, "participants"),
             ({"kind": "special_campaign", "phases": "survey 2026-03-01 2026-03-10\n"
                                                      "publicity 2026-03-05 2026-03-20"},
              "phases"),
             ({"drawn_area": '{"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],'
                             '[0,0]]]}'}, "areas")]
    for change, field in cases:
        response = _plan(client, **{"participants": "500112-JT01 30", **change})
        assert response.status_code == 422, change
        assert f'data-field="{field}"' in response.get_data(as_text=True) or field == "areas"
    assert db.session.scalar(select(func.count()).select_from(JointAction)) == 0
    assert db.session.scalar(select(func.count()).select_from(RuleBreach)) == 0


def test_zone_drawing_and_page(client, db, tree, login_as):
    login_as(Role.district_office, "north")
    token = csrf_token(client, "/joint/zones/new")
    bad = client.post("/joint/zones/new", data={
        "csrf_token": token, "name": "北站", "unit_id": str(tree["north_team"].id),
        "windows": "1-5 17:00-20:00", "geojson": '{"type": "Polygon", "coordinates": [[[0,0],'
                                                   '[1,1],[1,0],[0,1],[0,0]]]}'})
    assert bad.status_code == 422 and 'data-field="geojson"' in bad.get_data(as_text=True)
    response = client.post("/joint/zones/new", data={
        "csrf_token": token, "name": "重庆北站南广场", "unit_id": str(tree["north_team"].id),
        "responsible_department": "北站执法中队", "windows": "1-5 17:00-20:00; 6,7 09:00-21:00",
        "geojson": STATION})
    assert response.status_code == 302
    zone = db.session.scalar(select(Zone))
    assert zone.unit_id == tree["north_team"].id and len(zone.windows) == 7
    page = client.get(response.location).get_data(as_text=True)
    assert page.count('data-testid="zone-month-count"') == 12
    assert "1,2,3,4,5 17:00-20:00; 6,7 09:00-21:00" in page


def test_meetings_missing_districts_and_overdue_tasks(client, db, tree, login_as):
    user = login_as(Role.city_office, "city")
    meetings.record_meeting(actor=user, unit=tree["north"], data=meetings.MeetingInput(
        held_on=dt.date.today() - dt.timedelta(days=60), title="联席会议", tasks=[
            meetings.TaskInput("北站夜查", tree["north_team"].id,
                               dt.date.today() - dt.timedelta(days=1))]))
    page = client.get("/joint/meetings").get_data(as_text=True)
    missing = re.findall(r'data-testid="no-meeting-unit">([^<]+)<', page)
    assert "渝中区" in missing
    sheet = load_workbook(io.BytesIO(client.get("/joint/meetings?format=xlsx").data)).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["联席会议"]
    task_sheet = load_workbook(io.BytesIO(client.get("/joint/tasks?format=xlsx").data)).active
    assert [(r[1], r[8]) for r in task_sheet.iter_rows(min_row=2, values_only=True)] == [
        ("北站夜查", "是")]
    tasks = client.get("/joint/tasks").get_data(as_text=True)
    assert re.search(r'data-testid="overdue-count">[^<]*1', tasks)
    token = csrf_token(client, "/joint/meetings/new")
    response = client.post("/joint/meetings/new", data={
        "csrf_token": token, "held_on": dt.date.today().isoformat(), "title": "市联席会议",
        "attendees": [str(tree["north"].id)], "topics": "", "decisions": "",
        "tasks": f"500112-JT01 {(dt.date.today() - dt.timedelta(days=1)).isoformat()} 补报"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-field="tasks"' in page and "办结期限不能早于交办日期" in page


def test_api_lists_and_creates_actions(client, db, tree, login_as):
    login_as(Role.district_office, "north")
    token = csrf_token(client, "/")
    body = {"kind": "daily_patrol", "name": "日常巡查", "planned_start": "2026-03-02T09:00:00+08:00",
            "planned_end": "2026-03-02T17:00:00+08:00",
            "participants": [{"unit_code": "500112-JT01", "headcount": 2,
                              "department": "police"}]}
    response = client.post("/api/v1/actions", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.json
    assert response.json["breaches"][0]["rule"] == "patrol_police_min"
    bad = client.post("/api/v1/actions", json=dict(body, planned_end="2026-03-01T09:00:00+08:00"),
                      headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and "planned_end" in bad.json["error"]["fields"]
    listed = client.get("/api/v1/actions?month=2026-03").json
    assert [a["name"] for a in listed["items"]] == ["日常巡查"]
    assert client.get("/api/v1/actions?month=2026-04").json["items"] == []


def test_participating_unit_sees_the_action_but_only_the_lead_changes_it(client, db, tree,
                                                                          login_as):
    from enforcement.joint import services
    from tests.factories import UserFactory

    office = UserFactory(role=Role.district_office, unit=tree["north"])
    start = services.utcnow() + dt.timedelta(days=2)
    action = services.plan_action(actor=office, unit=tree["north"], data=services.ActionInput(
        kind="cross_region_action", name="渝北赴渝中交叉检查", planned_start=start,
        planned_end=start + dt.timedelta(hours=8), host_unit_id=tree["centre"].id,
        participants=[services.ParticipantInput(tree["north_team"].id, 8)]))
    hidden = services.plan_action(actor=office, unit=tree["north"], data=services.ActionInput(
        kind="night_action", name="渝北夜查", planned_start=start,
        planned_end=start + dt.timedelta(hours=4)))
    login_as(Role.district_office, "centre")
    listing = client.get("/joint/actions").get_data(as_text=True)
    assert "渝北赴渝中交叉检查" in listing and "渝北夜查" not in listing
    page = client.get(f"/joint/actions/{action.id}")
    assert page.status_code == 200 and 'data-testid="approve"' not in page.get_data(as_text=True)
    assert client.get(f"/joint/actions/{hidden.id}").status_code == 404
    token = csrf_token(client, f"/joint/actions/{action.id}")
    response = client.post(f"/joint/actions/{action.id}/approve", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(JointAction, action.id).status is ActionStatus.planned


def test_rules_can_be_checked_before_saving(client, db, tree, login_as):
    login_as(Role.district_office, "north")
    response = _plan(client, check="1", participants="500112-JT01 16")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="breach-warning"' in page
    assert db.session.scalar(select(func.count()).select_from(JointAction)) == 0
    ok = _plan(client, check="1", participants="500112-JT01 25").get_data(as_text=True)
    assert 'data-testid="rules-ok"' in ok


def test_gcj02_tiles_shift_display_and_drawings_back(app, client, db, tree, login_as,
                                                     monkeypatch):
    import json

    from enforcement.cases.maps import wgs84_to_gcj02

    monkeypatch.setitem(app.config, "MAP_TILE_CRS", "GCJ02")
    login_as(Role.district_office, "north")
    wgs = [[106.545, 29.605], [106.555, 29.605], [106.555, 29.612], [106.545, 29.605]]
    shown = [[round(b, 6), round(a, 6)] for a, b in (wgs84_to_gcj02(lat, lng)
                                                      for lng, lat in wgs)]
    token = csrf_token(client, "/joint/zones/new")
    response = client.post("/joint/zones/new", data={
        "csrf_token": token, "name": "北站", "unit_id": str(tree["north"].id),
        "windows": "1-7 08:00-20:00",
        "geojson": json.dumps({"type": "Polygon", "coordinates": [shown]})})
    assert response.status_code == 302
    stored = db.session.scalar(select(Zone)).geojson["coordinates"][0]
    assert all(abs(a - b) < 1e-5 for p, q in zip(stored, wgs) for a, b in zip(p, q))
    page = client.get(response.location).get_data(as_text=True)
    assert str(shown[0][0]) in page and "106.545," not in page


def test_more_tasks_from_a_meeting_and_a_zone_taken_out_of_force(client, db, tree, login_as):
    from enforcement.joint.models import FollowUpTask

    office = login_as(Role.district_office, "north")
    meeting = meetings.record_meeting(actor=office, unit=tree["north"], data=meetings.MeetingInput(
        held_on=dt.date(2026, 10, 9), title="联席会议"))
    token = csrf_token(client, f"/joint/meetings/{meeting.id}")
    base = {"csrf_token": token, "unit_id": str(tree["north_team"].id), "title": "北站夜查",
            "decision": "加强夜查"}
    early = client.post(f"/joint/meetings/{meeting.id}/tasks", data=dict(base, due_on="2026-10-01"))
    assert early.status_code == 422 and 'data-field="due_on"' in early.get_data(as_text=True)
    outside = client.post(f"/joint/meetings/{meeting.id}/tasks",
                          data=dict(base, due_on="2026-10-30", unit_id=str(tree["centre"].id)))
    assert outside.status_code == 422
    ok = client.post(f"/joint/meetings/{meeting.id}/tasks", data=dict(base, due_on="2026-10-30"))
    assert ok.status_code == 302
    assert [t.title for t in db.session.scalars(select(FollowUpTask))] == ["北站夜查"]
    token = csrf_token(client, "/joint/zones/new")
    client.post("/joint/zones/new", data={
        "csrf_token": token, "name": "北站", "unit_id": str(tree["north"].id),
        "windows": "1-7 08:00-20:00", "geojson": STATION, "is_active": "y"})
    zone = db.session.scalar(select(Zone))
    assert zone.is_active
    client.post(f"/joint/zones/{zone.id}/edit", data={
        "csrf_token": token, "name": "北站", "unit_id": str(tree["north"].id),
        "windows": "1-7 08:00-20:00", "geojson": STATION})
    db.session.expire_all()
    assert db.session.get(Zone, zone.id).is_active is False
