"""Joint actions: plan validation, rule breaches stored, approval, results with linked cases."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import ConflictError, DomainError
from core.models import Department, UnitKind
from core.roles import Role
from enforcement.joint import rules, services
from enforcement.joint.models import ActionStatus, JointAction, RuleBreach
from extensions import db as _db
from tests.factories import UnitFactory, UserFactory

LOCAL = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 9, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=LOCAL)


@pytest.fixture
def police(tree):
    return UnitFactory(code="500112-GA01", name="渝北公安分局", kind=UnitKind.department,
                       department=Department.police, parent=tree["north"])


def plan(kind="concentrated_action", start=None, end=None, people=None, **extra):
    return services.ActionInput(kind=kind, name="春运集中整治", planned_start=start or at(2),
                                planned_end=end or at(4, 18),
                                participants=people or [], **extra)


RULES = {"patrol_police_min": 3, "patrol_police_max": 5, "concentrated_min_days": 2,
         "concentrated_max_days": 3, "concentrated_city_min_people": 100,
         "concentrated_district_min_people": 20}


@pytest.mark.parametrize("kind,city,days,heads,expected", [
    ("daily_patrol", False, 1, {"police": 2, "transport": 6}, ["patrol_police_min"]),
    ("daily_patrol", False, 1, {"police": 3}, []),
    ("daily_patrol", False, 1, {"police": 5}, []),
    ("daily_patrol", False, 1, {"police": 6}, ["patrol_police_max"]),
    ("concentrated_action", False, 2, {"transport": 20}, []),
    ("concentrated_action", False, 3, {"transport": 19}, ["concentrated_people"]),
    ("concentrated_action", True, 2, {"transport": 99}, ["concentrated_people"]),
    ("concentrated_action", True, 3, {"transport": 60, "police": 40}, []),
    ("concentrated_action", False, 1, {"transport": 30}, ["concentrated_days"]),
    ("concentrated_action", False, 4, {"transport": 30}, ["concentrated_days"]),
    ("night_action", False, 1, {}, []),
])
def test_check_plan_rules(kind, city, days, heads, expected):
    start = at(2, 8)
    end = dt.datetime.combine(start.date() + dt.timedelta(days=days - 1), dt.time(20),
                              LOCAL)
    breaches = rules.check_plan(kind, city_level=city, start=start, end=end, headcounts=heads,
                                rules=RULES)
    assert [b.rule for b in breaches] == expected


def test_overnight_action_counts_both_days():
    assert rules.local_days(at(2, 22), at(3, 4)) == 2
    assert rules.local_days(at(2, 8), at(3, 0)) == 1


def test_district_plans_concentrated_action_end_to_end(db, tree, police):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    action = services.plan_action(actor=office, unit=tree["north"], data=plan(people=[
        services.ParticipantInput(tree["north_team"].id, 12),
        services.ParticipantInput(police.id, 4)]))
    assert action.status is ActionStatus.planned
    breaches = db.session.scalars(select(RuleBreach).where(
        RuleBreach.action_id == action.id)).all()
    assert [(b.rule, b.unit_id, b.period, b.detail["people"]) for b in breaches] == [
        ("concentrated_people", tree["north"].id, "2026-03", 16)]
    # corrected before approval: the breach goes
    services.update_plan(action, actor=office, data=plan(people=[
        services.ParticipantInput(tree["north_team"].id, 16),
        services.ParticipantInput(police.id, 4)]))
    assert db.session.scalar(select(func.count()).select_from(RuleBreach).where(
        RuleBreach.action_id == action.id)) == 0
    services.approve(action, actor=office)
    assert action.approved_by_id == office.id and action.status is ActionStatus.approved
    with pytest.raises(ConflictError):
        services.update_plan(action, actor=office, data=plan())
    services.record_results(action, actor=office, data=services.ResultsInput(
        actual_start=at(2, 8), actual_end=at(3, 20), vehicles_checked=340, vehicles_detained=12,
        fines="36000.00", violent_incidents=1, media_reports=2))
    assert action.status is ActionStatus.completed
    assert (action.vehicles_checked, action.fines) == (340, Decimal("36000.00"))


@pytest.mark.parametrize("change,field", [
    ({"end": at(1)}, "planned_end"),
    ({"end": at(2)}, "planned_end"),
    ({"kind": "nonsense"}, "kind"),
    ({"people": "negative"}, "participants"),
    ({"kind": "special_campaign", "phases": "overlap"}, "phases"),
    ({"kind": "special_campaign", "phases": "reversed"}, "phases"),
    ({"kind": "cross_region_action"}, "host_unit_id"),
    ({"areas": "bowtie"}, "areas"),
])
def test_bad_plans_name_the_field_and_store_nothing(db, tree, change, field):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    people = [services.ParticipantInput(tree["north_team"].id, -1)] \
        if change.get("people") == "negative" else []
    phases = []
    if change.get("phases") == "overlap":
        phases = [services.PhaseInput("survey", dt.date(2026, 3, 1), dt.date(2026, 3, 10)),
                  services.PhaseInput("publicity", dt.date(2026, 3, 10), dt.date(2026, 3, 20))]
    elif change.get("phases") == "reversed":
        phases = [services.PhaseInput("survey", dt.date(2026, 3, 10), dt.date(2026, 3, 1))]
    areas = [services.AreaInput(geojson={"type": "Polygon", "coordinates": [
        [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})] if change.get("areas") else []
    data = plan(kind=change.get("kind", "concentrated_action"), end=change.get("end"),
                people=people, phases=phases, areas=areas)
    before = db.session.scalar(select(func.count()).select_from(JointAction))
    with pytest.raises(DomainError) as info:
        services.plan_action(actor=office, unit=tree["north"], data=data)
    assert info.value.field == field
    assert db.session.scalar(select(func.count()).select_from(JointAction)) == before


def test_campaign_phases_in_order(db, tree):
    office = UserFactory(role=Role.district_office, unit=tree["north"])
    action = services.plan_action(actor=office, unit=tree["north"], data=plan(
        kind="special_campaign", start=at(1), end=at(30, 18, month=6), phases=[
            services.PhaseInput("review", dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
            services.PhaseInput("survey", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
            services.PhaseInput("enforcement", dt.date(2026, 4, 1), dt.date(2026, 5, 31))]))
    _db.session.expire(action, ["phases"])
    assert [p.kind.value for p in action.phases] == ["survey", "enforcement", "review"]


def test_results_validation_and_case_links(db, tree):
    from tests.test_scoping_matrix import _case_with_files

    office = UserFactory(role=Role.district_office, unit=tree["north"])
    action = services.plan_action(actor=office, unit=tree["north"], data=plan(
        kind="night_action", start=at(2, 20), end=at(3, 2)))
    with pytest.raises(ConflictError):
        services.record_results(action, actor=office, data=services.ResultsInput(
            actual_start=at(2, 20), actual_end=at(3, 2)))
    services.approve(action, actor=office)
    case_in, _e, _d = _case_with_files(tree, "north_team")
    case_out, _e2, _d2 = _case_with_files(tree, "centre_team")
    bad = [({"vehicles_checked": -1}, "vehicles_checked"), ({"fines": "abc"}, "fines"),
           ({"actual_end": at(2, 19)}, "actual_end"),
           ({"case_numbers": [case_out.number]}, "case_numbers")]
    for change, field in bad:
        data = services.ResultsInput(actual_start=at(2, 20), actual_end=at(3, 2))
        for k, v in change.items():
            setattr(data, k, v)
        with pytest.raises(DomainError) as info:
            services.record_results(action, actor=office, data=data)
        assert info.value.field == field
    assert action.status is ActionStatus.approved
    services.record_results(action, actor=office, data=services.ResultsInput(
        actual_start=at(2, 20), actual_end=at(3, 2), vehicles_checked=40,
        case_numbers=[case_in.number]))
    assert [c.id for c in services.linked_cases(action)] == [case_in.id]
    services.record_results(action, actor=office, data=services.ResultsInput(
        actual_start=at(2, 20), actual_end=at(3, 2), vehicles_checked=41))  # corrected
    assert services.linked_cases(action) == [] and action.vehicles_checked == 41


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 15)), max_size=5))
def test_overlapping_phases_matches_shared_days(spans):
    first = dt.date(2026, 1, 1)
    phases = [(first + dt.timedelta(days=a), first + dt.timedelta(days=a + n)) for a, n in spans]
    days = [{p[0] + dt.timedelta(days=i) for i in range((p[1] - p[0]).days + 1)} for p in phases]
    shared = any(days[i] & days[j] for i in range(len(days)) for j in range(i + 1, len(days)))
    assert rules.overlapping_phases(phases) == shared
