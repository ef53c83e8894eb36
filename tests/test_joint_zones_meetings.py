"""Strict-control zones (polygons, weekly hours, marks) and meetings with follow-up tasks."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import shape

from core import settings
from core.errors import ConflictError, DomainError
from core.roles import Role
from enforcement.cases.models import Case
from enforcement.joint import meetings, rules, zones
from enforcement.joint.models import TaskStatus
from enforcement.tips.models import Tip
from tests.factories import UserFactory
from tests.joint_factories import make_case, make_tip

LOCAL = ZoneInfo("Asia/Shanghai")
# 重庆北站 (Chongqing North station), a small square around the south square
STATION = {"type": "Polygon", "coordinates": [[[106.545, 29.605], [106.555, 29.605],
                                               [106.555, 29.612], [106.545, 29.612],
                                               [106.545, 29.605]]]}
INSIDE, OUTSIDE = (29.608, 106.550), (29.620, 106.550)


def local(y, m, d, h, mi=0):
    return dt.datetime(2026, m, d, h, mi, tzinfo=LOCAL) if y is None else \
        dt.datetime(y, m, d, h, mi, tzinfo=LOCAL)


def test_windows_text_parses_and_round_trips():
    windows = zones.parse_windows("1-5 17:00-20:00; 6,7 22:00-02:00")
    assert (0, dt.time(17), dt.time(20)) in windows and (6, dt.time(22), dt.time(2)) in windows
    assert len(windows) == 7
    for bad in ("8 10:00-11:00", "1-5 17:00", "1 10:00-10:00", "mon 10:00-12:00"):
        with pytest.raises(DomainError) as info:
            zones.parse_windows(bad)
        assert info.value.field == "windows"


def test_in_window_weekday_and_overnight():
    weekday_evening = [(d, dt.time(17), dt.time(20)) for d in range(5)]
    assert rules.in_window(local(None, 11, 23, 18), weekday_evening)  # a Monday
    assert not rules.in_window(local(None, 11, 23, 20), weekday_evening)  # end excluded
    assert not rules.in_window(local(None, 11, 28, 18), weekday_evening)  # Saturday
    overnight = [(4, dt.time(22), dt.time(2))]  # Friday night into Saturday
    assert rules.in_window(local(None, 11, 27, 23), overnight)
    assert rules.in_window(local(None, 11, 28, 1), overnight)
    assert not rules.in_window(local(None, 11, 28, 3), overnight)


@given(st.floats(29.5, 29.7), st.floats(106.5, 106.6), st.integers(0, 24 * 7 - 1))
def test_in_zone_is_polygon_and_hours(lat, lng, hour):
    from shapely.geometry import Point

    windows = [(d, dt.time(17), dt.time(20)) for d in range(5)]
    when = local(None, 11, 23, 0) + dt.timedelta(hours=hour)  # from Monday 00:00
    expected = shape(STATION).covers(Point(lng, lat)) and when.weekday() < 5 \
        and 17 <= when.hour < 20
    assert rules.in_zone(shape(STATION), windows, lat, lng, when) == expected


@pytest.mark.parametrize("geojson", [
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow-tie
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
    {"type": "Point", "coordinates": [106.5, 29.6]},
    {"type": "Polygon", "coordinates": [[[0, 0], [500, 0], [500, 1], [0, 0]]]},
    "not json", None,
])
def test_invalid_polygons_are_refused(db, tree, geojson):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    with pytest.raises(DomainError) as info:
        zones.create_zone(actor=office, unit=tree["north"], data=zones.ZoneInput(
            name="北站", geojson=geojson, windows=zones.parse_windows("1-5 17:00-20:00")))
    assert info.value.field == "geojson"


def test_cases_and_tips_in_zone_during_hours_are_marked(db, tree):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    zone = zones.create_zone(actor=office, unit=tree["north_team"], data=zones.ZoneInput(
        name="重庆北站南广场", geojson=STATION, windows=zones.parse_windows("1-5 17:00-20:00")))
    team = tree["north_team"]
    hit = make_case(team, local(None, 11, 23, 18), *INSIDE)
    make_case(team, local(None, 11, 23, 21), *INSIDE)  # out of hours
    make_case(team, local(None, 11, 28, 18), *INSIDE)  # Saturday
    make_case(team, local(None, 11, 23, 18), *OUTSIDE)  # outside the polygon
    make_case(team, local(None, 11, 23, 18))  # no point
    other = make_case(tree["centre_team"], local(None, 11, 24, 19), *INSIDE)
    tip = make_tip(team, local(None, 11, 25, 17, 30), *INSIDE)
    make_tip(team, local(None, 11, 25, 16, 59), *INSIDE)
    assert {c.id for c in zones.marked(Case, zone)} == {hit.id, other.id}
    assert [c.id for c in zones.marked(Case, zone, actor=office)] == [hit.id]
    assert [t.id for t in zones.marked(Tip, zone)] == [tip.id]
    assert zones.zones_of(*INSIDE, local(None, 11, 23, 18), [zone]) == [zone]
    counts = zones.monthly_counts(zone, months=3, today=dt.date(2026, 11, 30))
    assert counts == [("2026-09", 0), ("2026-10", 0), ("2026-11", 2)]


def _meeting(tree, office, held_on, tasks=()):
    return meetings.record_meeting(actor=office, unit=tree["north"], data=meetings.MeetingInput(
        held_on=held_on, title="渝北区联席会议", topics="北站整治", decisions="加强夜查",
        attendee_unit_ids=[tree["north_team"].id, tree["north"].id],
        tasks=[meetings.TaskInput(title=t[0], unit_id=tree["north_team"].id, due_on=t[1])
               for t in tasks]))


def test_task_loop_with_send_back(db, tree):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    officer = UserFactory(role=Role.officer, unit=tree["north_team"])
    meeting = _meeting(tree, office, dt.date(2026, 10, 9), [("北站夜查", dt.date(2026, 10, 31))])
    task = meeting.tasks[0]
    assert task.status is TaskStatus.assigned and task.set_on == dt.date(2026, 10, 9)
    with pytest.raises(ConflictError):
        meetings.move_task(task, actor=officer, to="verified")
    meetings.move_task(task, actor=officer, to="in_progress")
    meetings.move_task(task, actor=officer, to="reported_done", today=dt.date(2026, 10, 20))
    with pytest.raises(ConflictError):  # the owner cannot verify its own work
        meetings.move_task(task, actor=officer, to="verified")
    with pytest.raises(DomainError) as info:
        meetings.move_task(task, actor=office, to="sent_back")
    assert info.value.field == "note"
    meetings.move_task(task, actor=office, to="sent_back", note="材料不全")
    assert task.sent_back_count == 1 and task.reported_on is None
    meetings.move_task(task, actor=officer, to="in_progress")
    meetings.move_task(task, actor=officer, to="reported_done")
    meetings.move_task(task, actor=office, to="verified")
    meetings.move_task(task, actor=office, to="closed")
    assert [s.to_status.value for s in task.steps] == [
        "in_progress", "reported_done", "sent_back", "in_progress", "reported_done",
        "verified", "closed"]


def test_task_due_before_set_and_overdue_listing(db, tree):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    with pytest.raises(DomainError) as info:
        _meeting(tree, office, dt.date(2026, 10, 9), [("x", dt.date(2026, 10, 8))])
    assert info.value.field == "due_on"
    meeting = _meeting(tree, office, dt.date(2026, 10, 9), [
        ("a", dt.date(2026, 10, 20)), ("b", dt.date(2026, 11, 30)), ("c", dt.date(2026, 10, 15))])
    officer = UserFactory(role=Role.officer, unit=tree["north_team"])
    done = meeting.tasks[2]
    meetings.move_task(done, actor=officer, to="in_progress")
    meetings.move_task(done, actor=officer, to="reported_done")
    today = dt.date(2026, 11, 1)
    overdue = db.session.scalars(meetings.tasks_in_scope(office, overdue_on=today)).all()
    assert [t.title for t in overdue] == ["a"]
    outsider = UserFactory(role=Role.district_office, unit=tree["centre"])
    assert db.session.scalars(meetings.tasks_in_scope(outsider)).all() == []


def test_districts_without_meeting_this_quarter(db, tree):
    city = UserFactory(role=Role.city_office, unit=tree["city"])
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    _meeting(tree, office, dt.date(2026, 7, 10))  # last quarter
    day = dt.date(2026, 11, 20)
    assert [u.code for u in meetings.districts_without_meeting(city, day)] == ["500103",
                                                                               "500112"]
    meetings.record_meeting(actor=office, unit=tree["north_team"], data=meetings.MeetingInput(
        held_on=dt.date(2026, 10, 2), title="支队会议"))
    assert [u.code for u in meetings.districts_without_meeting(city, day)] == ["500103"]
    assert meetings.districts_without_meeting(office, day) == []
    settings.set_value("joint.meetings_per_quarter", 2, actor=city)  # the rule is data
    assert [u.code for u in meetings.districts_without_meeting(city, day)] == ["500103",
                                                                               "500112"]


def test_case_and_tip_pages_show_their_zone_marks(client, login_as, db, tree):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    zones.create_zone(actor=office, unit=tree["north_team"], data=zones.ZoneInput(
        name="重庆北站南广场", geojson=STATION, windows=zones.parse_windows("1-5 17:00-20:00")))
    hit = make_case(tree["north_team"], local(None, 11, 23, 18), *INSIDE)
    miss = make_case(tree["north_team"], local(None, 11, 23, 21), *INSIDE)
    tip = make_tip(tree["north_team"], local(None, 11, 25, 17, 30), *INSIDE)
    assert zones.marks_at(*INSIDE, local(None, 11, 23, 18))[0].name == "重庆北站南广场"
    assert zones.marks_at(None, None, local(None, 11, 23, 18)) == []
    login_as(Role.unit_leader, "north")
    assert 'data-testid="zone-mark"' in client.get(f"/cases/{hit.id}").get_data(as_text=True)
    assert 'data-testid="zone-mark"' not in client.get(f"/cases/{miss.id}").get_data(
        as_text=True)
    page = client.get(f"/tips/{tip.id}").get_data(as_text=True)
    assert "重庆北站南广场" in page and 'data-testid="zone-mark"' in page
