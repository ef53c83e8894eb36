"""Cases: creation, numbering, the whole procedure, refusals that change nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.errors import ConflictError, DomainError
from core.roles import Role
from enforcement.cases import services
from enforcement.cases.calendar import seed_holidays
from enforcement.cases.models import Case, CaseStatus, CaseStep
from enforcement.violations.seed import seed_violation_types
from extensions import db as _db
from tests.factories import UserFactory

ID_NO = "500112199001011234"


def _valid_id():
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    body = "50011219900101123"
    total = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


@pytest.fixture
def world(db, tree):
    seed_violation_types()
    seed_holidays(range(2024, 2027))
    team = tree["north_team"]
    officer = UserFactory(role=Role.officer, unit=team)
    partner = UserFactory(role=Role.officer, unit=team)
    leader = UserFactory(role=Role.unit_leader, unit=team)
    return {"team": team, "officer": officer, "partner": partner, "leader": leader,
            "tree": tree}


def case_input(world, **over):
    data = dict(origin="patrol", occurred_at=services.utcnow() - dt.timedelta(hours=2),
                address="重庆北站南广场", lat=29.61, lng=106.55, violation_code="FY-KY",
                officer_ids=[world["officer"].id, world["partner"].id],
                facts="驾驶员以每人50元价格载客前往江北机场",
                vehicles=[services.VehicleInput(plate="渝a·12345")],
                parties=[services.PartyInput(name="张三", id_number=_valid_id(),
                                             phone="13800138000", address="重庆市渝北区龙塔街道1号")])
    data.update(over)
    return services.CaseInput(**data)


def test_create_assigns_gap_free_numbers(world):
    a = services.create_case(actor=world["officer"], unit=world["team"], data=case_input(world))
    b = services.create_case(actor=world["officer"], unit=world["team"], data=case_input(world))
    year = services.today_local().year
    assert a.number == f"500112-JT01-{year}-000001"
    assert b.number == f"500112-JT01-{year}-000002"
    assert a.vehicles[0].vehicle.plate == "渝A12345"
    assert a.vehicles[0].vehicle.id == b.vehicles[0].vehicle.id  # one registry record


@pytest.mark.parametrize("over, field", [
    ({"vehicles": [services.VehicleInput(plate="XX123")]}, "vehicles.0.plate"),
    ({"parties": [services.PartyInput(name="李四", id_number="500112199001011230")]},
     "parties.0.id_number"),
    ({"violation_code": "NOPE"}, "violation_code"),
    ({"occurred_at": services.utcnow() + dt.timedelta(days=1)}, "occurred_at"),
    ({"address": " "}, "address"),
    ({"lat": 95.0}, "lat"),
])
def test_bad_input_is_refused_and_nothing_written(world, over, field):
    before = _db.session.scalar(select(func.count()).select_from(Case))
    with pytest.raises(DomainError) as err:
        services.create_case(actor=world["officer"], unit=world["team"],
                             data=case_input(world, **over))
    assert field in err.value.fields
    assert _db.session.scalar(select(func.count()).select_from(Case)) == before


def _walk(case, world, to, **payload):
    actor = world["leader"] if to in ("notified", "decided", "closed") else world["officer"]
    return services.transition(case, actor=actor, to=to, note=payload.pop("note", ""),
                               payload=payload)


def test_the_whole_procedure(world, app):
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world))
    _walk(case, world, "registered")
    assert case.registered_on is not None
    assert {c.name for c in case.clocks} == {"decision"}
    _walk(case, world, "investigating")
    _walk(case, world, "legal_review", proposed_fine="20000")
    assert case.tier.value == "first" and not case.is_penalty_flagged
    with app.test_request_context():
        _walk(case, world, "notified")
    assert [d.kind for d in case.documents] == ["notice"]
    with pytest.raises(ConflictError) as err:  # the statement period is still running
        _walk(case, world, "decided")
    assert "statement_waived" in err.value.fields
    assert case.status is CaseStatus.notified
    with app.test_request_context():
        _walk(case, world, "decided", statement_waived=True)
    assert case.fine_amount == Decimal("20000.00")
    assert "fine_payment" in {c.name for c in case.clocks}
    _walk(case, world, "executed", paid_on=services.today_local(), receipt_no="R-001")
    _walk(case, world, "closed")
    assert case.status is CaseStatus.closed
    actions = [(s.from_status.value, s.to_status.value) for s in case.steps]
    assert actions[-1] == ("executed", "closed")


def test_cannot_leave_draft_with_one_officer(world):
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world, officer_ids=[world["officer"].id]))
    with pytest.raises(ConflictError) as err:
        _walk(case, world, "registered")
    assert "officers" in err.value.fields
    assert case.status is CaseStatus.draft


def test_expired_certificate_does_not_count(world):
    world["partner"].cert_expires_on = dt.date(2020, 1, 1)
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world))
    with pytest.raises(ConflictError):
        _walk(case, world, "registered")


def test_wrong_step_is_a_conflict_and_changes_nothing(world):
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world))
    steps = _db.session.scalar(select(func.count()).select_from(CaseStep))
    with pytest.raises(ConflictError):
        _walk(case, world, "closed")
    assert case.status is CaseStatus.draft
    assert _db.session.scalar(select(func.count()).select_from(CaseStep)) == steps


def test_withdrawal_needs_a_reason(world):
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world))
    with pytest.raises(DomainError):
        services.transition(case, actor=world["leader"], to="withdrawn", note="")
    services.transition(case, actor=world["leader"], to="withdrawn", note="当事人身份错误")
    assert case.status is CaseStatus.withdrawn and case.withdraw_reason == "当事人身份错误"
    assert case.number.endswith("000001")  # a withdrawn case keeps its number


def test_penalty_outside_range_needs_justification(world):
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world))
    _walk(case, world, "registered")
    _walk(case, world, "investigating")
    with pytest.raises(ConflictError) as err:
        _walk(case, world, "legal_review", proposed_fine="500")
    assert "penalty_justification" in err.value.fields
    assert case.status is CaseStatus.investigating
    _walk(case, world, "legal_review", proposed_fine="500",
          penalty_justification="当事人系残疾人，生活困难，经集体讨论从轻处罚")
    assert case.is_penalty_flagged


@pytest.mark.parametrize("amount", ["-5", "abc", "1e9", "12.345"])
def test_absurd_fines_are_refused(world, amount):
    case = services.create_case(actor=world["officer"], unit=world["team"],
                                data=case_input(world))
    _walk(case, world, "registered")
    _walk(case, world, "investigating")
    with pytest.raises(DomainError) as err:
        _walk(case, world, "legal_review", proposed_fine=amount)
    assert "proposed_fine" in err.value.fields
