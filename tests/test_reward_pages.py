"""Reward pages: proposal on the tip, approval, the finance payout page, budgets, the export
without identities, and the informant's claim hint and contest through the receipt code."""
from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import select

from core.base import local_today
from core.roles import Role
from enforcement.tips import budgets, services
from enforcement.tips.reward_models import Reward, RewardStatus
from extensions import db as _db
from tests.conftest import csrf_token
from tests.factories import UserFactory
from tests.test_rewards import PHONE, verified_tip


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def _code_of(tip):
    """A fresh receipt code for the tip (the real one is shown once and not kept)."""
    lookup, secret = "TESTABCD", "0" * 20
    tip.receipt_lookup, tip.receipt_hash = lookup, services._hasher.hash(secret)
    _db.session.flush()
    return services.format_receipt(lookup, secret)


def test_reward_through_the_pages(client, login_as, tree, db):
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    budgets.set_budget(office, tree["north"], local_today().year, "3000")
    tip, _ = verified_tip(tree)
    code = _code_of(tip)
    login_as(Role.tip_reviewer, "north")
    page = client.get(f"/tips/{tip.id}").get_data(as_text=True)
    assert 'data-testid="propose-reward"' in page and 'value="500"' in page
    token = csrf_token(client, f"/tips/{tip.id}")
    bad = client.post(f"/tips/{tip.id}/reward", data={
        "csrf_token": token, "tier": "case_registered", "amount": "5000", "reason": "属实",
        "funding_unit_id": "0"})
    assert bad.status_code == 422 and 'data-field="amount"' in bad.get_data(as_text=True)
    assert _db.session.scalar(select(Reward)) is None
    ok = client.post(f"/tips/{tip.id}/reward", data={
        "csrf_token": token, "tier": "case_registered", "amount": "500", "reason": "属实",
        "funding_unit_id": "0"})
    assert ok.status_code == 302
    reward = _db.session.scalar(select(Reward))
    _logout(client)

    login_as(Role.unit_leader, "north")
    token = csrf_token(client, f"/rewards/{reward.id}")
    assert client.post(f"/rewards/{reward.id}/approve",
                       data={"csrf_token": token}).status_code == 302
    _logout(client)

    login_as(Role.finance, "north")
    page = client.get(f"/rewards/{reward.id}").get_data(as_text=True)
    assert 'data-testid="pay-reward"' in page and PHONE not in page
    token = csrf_token(client, f"/rewards/{reward.id}")
    shown = client.post(f"/rewards/{reward.id}/payees", data={"csrf_token": token})
    assert shown.status_code == 200 and PHONE in shown.get_data(as_text=True)
    bad = client.post(f"/rewards/{reward.id}/pay", data={
        "csrf_token": token, "method": "cash", "payment_date": "", "voucher_no": ""})
    assert bad.status_code == 422
    assert 'data-field="voucher_no"' in bad.get_data(as_text=True)
    paid = client.post(f"/rewards/{reward.id}/pay", data={
        "csrf_token": token, "method": "cash", "payment_date": local_today().isoformat(),
        "voucher_no": "PZ-0001"})
    assert paid.status_code == 302
    _db.session.refresh(reward)
    assert reward.status is RewardStatus.paid
    budget_page = client.get("/rewards/budgets").get_data(as_text=True)
    assert "渝北区" in budget_page and "2,500.00" in budget_page
    export = client.get("/rewards?format=xlsx")
    cells = [str(c) for row in openpyxl.load_workbook(io.BytesIO(export.data)).active
             .iter_rows(values_only=True) for c in row if c is not None]
    export.close()
    assert "PZ-0001" in cells and not any(PHONE in c or "李四" in c for c in cells)
    _logout(client)

    status = client.post("/tips/status", data={
        "csrf_token": csrf_token(client, "/tips/status"), "code": code})
    text = status.get_data(as_text=True)
    assert status.status_code == 200 and 'data-testid="claim-hint"' in text
    assert PHONE not in text and "PZ-0001" not in text


def test_informant_contests_a_rejection(client, login_as, tree, db):
    from enforcement.tips import rewards

    office = UserFactory(role=Role.city_office, unit=tree["city"])
    budgets.set_budget(office, tree["north"], local_today().year, "3000")
    tip, reviewer = verified_tip(tree)
    code = _code_of(tip)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    rewards.reject(reward, UserFactory(role=Role.unit_leader, unit=tree["north"]), "证据不足")
    token = csrf_token(client, "/tips/status")
    page = client.post("/tips/status", data={"csrf_token": token, "code": code})
    assert 'data-testid="contest-form"' in page.get_data(as_text=True)
    empty = client.post("/tips/status/contest", data={"csrf_token": token, "code": code,
                                                      "body": " "})
    assert empty.status_code == 422 and reward.contested_at is None
    wrong = client.post("/tips/status/contest", data={"csrf_token": token,
                                                      "code": code[:-1] + "9", "body": "x"})
    assert wrong.status_code == 404
    done = client.post("/tips/status/contest", data={"csrf_token": token, "code": code,
                                                     "body": "我有视频证据"})
    assert done.status_code == 200 and 'data-testid="contest-form"' not in \
        done.get_data(as_text=True)
    _db.session.refresh(reward)
    assert reward.contest_text == "我有视频证据"
    login_as(Role.unit_leader, "north")
    page = client.get(f"/rewards/{reward.id}").get_data(as_text=True)
    assert "我有视频证据" in page
    token = csrf_token(client, f"/rewards/{reward.id}")
    answered = client.post(f"/rewards/{reward.id}/contest-answer", data={
        "csrf_token": token, "outcome": "reopened", "reply": "重新审核"})
    assert answered.status_code == 302
    _db.session.refresh(reward)
    assert reward.status is RewardStatus.proposed


def test_budget_form_errors_name_the_field(client, login_as, tree, db):
    login_as(Role.finance, "north")
    token = csrf_token(client, "/rewards/budgets")
    response = client.post("/rewards/budgets", data={
        "csrf_token": token, "unit_id": str(tree["north"].id), "year": "2026",
        "amount": "-5"})
    assert response.status_code == 422 and 'data-field="amount"' in \
        response.get_data(as_text=True)
    response = client.post("/rewards/budgets", data={
        "csrf_token": token, "unit_id": str(tree["centre"].id), "year": "2026",
        "amount": "5000"})
    assert response.status_code == 422 and 'data-field="unit_id"' in \
        response.get_data(as_text=True)
    response = client.post("/rewards/budgets", data={
        "csrf_token": token, "unit_id": str(tree["north"].id), "year": "2026",
        "amount": "5000"})
    assert response.status_code == 302
    assert re.search(r"5,000\.00", client.get("/rewards/budgets?year=2026")
                     .get_data(as_text=True))
