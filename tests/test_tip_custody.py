"""Who may read an informant's identity: tip reviewers; finance for a payout; anyone else only
through a reasoned request the city office grants (the custodian model). Every read audited."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from sqlalchemy import func, select

from core.audit import AuditLog
from core.base import local_today
from core.errors import ConflictError, DomainError, ForbiddenError
from core.roles import Role
from enforcement.tips import budgets, custody, rewards
from extensions import db as _db
from tests.factories import UserFactory
from tests.test_rewards import PHONE, verified_tip

NAME = "李四"

pytestmark = pytest.mark.usefixtures("english")


def _reads(tip, purpose=None):
    rows = _db.session.scalars(select(AuditLog).where(AuditLog.action == "tip.identity_read",
                                                      AuditLog.object_id == str(tip.id))).all()
    return [r for r in rows if purpose is None or json.loads(r.detail or "{}").get("purpose") == purpose]


def test_tip_reviewer_reads_and_each_read_is_audited(db, tree):
    tip, reviewer = verified_tip(tree)
    assert custody.reveal(tip, reviewer) == {"name": NAME, "phone": PHONE}
    custody.reveal(tip, reviewer)
    assert len(_reads(tip, "review")) == 2


def test_reviewer_of_another_unit_cannot_read(db, tree):
    tip, _ = verified_tip(tree)
    stranger = UserFactory(role=Role.tip_reviewer, unit=tree["centre"])
    with pytest.raises(ForbiddenError):
        custody.reveal(tip, stranger)
    assert _reads(tip) == []


def test_finance_reads_payees_only_to_pay_an_approved_reward(db, tree):
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    budgets.set_budget(office, tree["north"], local_today().year, "1000")
    tip, reviewer = verified_tip(tree)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    finance = UserFactory(role=Role.finance, unit=tree["north"])
    with pytest.raises(ConflictError):
        custody.reveal_for_payment(reward, finance)
    with pytest.raises(ForbiddenError):
        custody.reveal(tip, finance)  # no general access for finance
    rewards.approve(reward, UserFactory(role=Role.unit_leader, unit=tree["north"]))
    payees = custody.reveal_for_payment(reward, finance)
    assert [(p["name"], p["phone"], p["amount"]) for p in payees] == [(NAME, PHONE, 500)]
    assert len(_reads(tip, "payment")) == 1
    other_finance = UserFactory(role=Role.finance, unit=tree["centre"])
    with pytest.raises(ForbiddenError):
        custody.reveal_for_payment(reward, other_finance)


def test_request_granted_by_city_office_then_read_for_a_limited_time(db, tree):
    tip, _ = verified_tip(tree)
    leader = UserFactory(role=Role.unit_leader, unit=tree["north"])
    with pytest.raises(ForbiddenError):
        custody.reveal(tip, leader)
    with pytest.raises(DomainError) as exc:
        custody.request_reveal(tip, leader, "short")
    assert "reason" in exc.value.fields
    request = custody.request_reveal(tip, leader, "涉嫌打击报复举报人，需要核实并采取保护措施")
    with pytest.raises(ConflictError):
        custody.request_reveal(tip, leader, "涉嫌打击报复举报人，需要核实并采取保护措施")
    with pytest.raises(ForbiddenError):
        custody.reveal(tip, leader)  # pending is not granted
    district = UserFactory(role=Role.district_office, unit=tree["north"])
    with pytest.raises(ForbiddenError):
        custody.decide(request, district, approve=True, reason="同意")
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    with pytest.raises(DomainError):
        custody.decide(request, office, approve=True, reason=" ")
    custody.decide(request, office, approve=True, reason="理由充分，同意在24小时内查看")
    assert custody.reveal(tip, leader)["name"] == NAME
    assert len(_reads(tip, "request")) == 1
    with time_machine.travel(request.valid_until + dt.timedelta(minutes=1)):
        with pytest.raises(ForbiddenError):
            custody.reveal(tip, leader)


def test_refused_and_own_requests(db, tree):
    tip, _ = verified_tip(tree)
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    own = custody.request_reveal(tip, office, "市办自己也需要查看，理由如下……")
    with pytest.raises(ForbiddenError, match="own"):
        custody.decide(own, office, approve=True, reason="自批")
    leader = UserFactory(role=Role.unit_leader, unit=tree["north"])
    request = custody.request_reveal(tip, leader, "需要联系举报人补充证据材料")
    custody.decide(request, office, approve=False, reason="可由审核员代为联系")
    with pytest.raises(ConflictError):
        custody.decide(request, office, approve=True, reason="改变主意")
    with pytest.raises(ForbiddenError):
        custody.reveal(tip, leader)
    assert _reads(tip) == []


def test_anonymous_tips_have_nothing_to_request(db, tree):
    tip, _ = verified_tip(tree, name=None, phone=None)
    leader = UserFactory(role=Role.unit_leader, unit=tree["north"])
    with pytest.raises(ConflictError):
        custody.request_reveal(tip, leader, "需要联系举报人补充证据材料")


def test_request_pages_and_grant_through_the_web(client, login_as, tree, db):
    from tests.conftest import csrf_token

    tip, _ = verified_tip(tree)
    leader = login_as(Role.unit_leader, "north")
    page = client.get(f"/tips/{tip.id}").get_data(as_text=True)
    assert 'data-testid="identity-request"' in page and NAME not in page
    token = csrf_token(client, f"/tips/{tip.id}")
    response = client.post(f"/tips/{tip.id}/identity-requests",
                           data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 422
    response = client.post(f"/tips/{tip.id}/identity-requests",
                           data={"csrf_token": token, "reason": "涉嫌打击报复，需要保护举报人"})
    assert response.status_code == 302
    assert client.post(f"/tips/{tip.id}/reveal", data={"csrf_token": token}).status_code == 403
    request = _db.session.scalar(select(custody.IdentityRequest))
    assert request.requested_by_id == leader.id
    client.post("/logout", data={"csrf_token": token})
    login_as(Role.city_office, "city")
    token = csrf_token(client, "/identity-requests")
    assert "涉嫌打击报复" in client.get("/identity-requests").get_data(as_text=True)
    response = client.post(f"/identity-requests/{request.id}/decide",
                           data={"csrf_token": token, "decision": "approve", "reason": "同意"})
    assert response.status_code == 302
    assert _db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "tip.identity_request_decide")) == 1
