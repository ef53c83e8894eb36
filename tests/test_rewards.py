"""Rewards: tiers and caps from settings, the first-informant rule, proposal → approval →
payment against budgets, contest, expiry, and exactly one payment under concurrency."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import settings
from core.audit import AuditLog
from core.base import local_today
from core.errors import ConflictError, DomainError, ForbiddenError
from core.models import Unit, UnitKind
from core.roles import Role
from enforcement.cases import services as case_services
from enforcement.tips import budgets, rewards, services
from enforcement.tips.reward_models import Reward, RewardStatus, RewardTier
from extensions import db as _db
from tests.factories import UserFactory

PHONE = "13912345678"

pytestmark = pytest.mark.usefixtures("english")


def verified_tip(tree, unit="north_team", *, phone=PHONE, name="李四", decided=False,
                 verdict="verified"):
    """A named tip, verified, linked to a registered (or decided) case of ``unit``."""
    from enforcement.violations.seed import seed_violation_types

    seed_violation_types()
    reviewer = UserFactory(role=Role.tip_reviewer, unit=tree[unit])
    tip, _code = services.submit_tip(services.TipInput(
        what="黑车拉客", description="重庆北站拉客", occurred_at=services.utcnow(),
        address="重庆北站", plates=["渝A12345"], name=name, phone=phone,
        wants_reward=bool(name and phone)),
        channel="hotline_12328", actor=reviewer)
    tip.unit_id = tree[unit].id
    officer = UserFactory(role=Role.officer, unit=tree[unit])
    case = case_services.create_case(actor=officer, unit=tree[unit], data=case_services.CaseInput(
        origin="tip", occurred_at=services.utcnow(), address="重庆北站", violation_code="FY-KY",
        vehicles=[case_services.VehicleInput(plate="渝A12345")]))
    case.registered_on = local_today()
    if decided:
        case.decided_on = local_today()
    services.accept(tip, reviewer)
    services.link_case(tip, reviewer, case)
    services.conclude(tip, reviewer, verdict, "现场查获")
    _db.session.flush()
    return tip, reviewer


@pytest.fixture
def budget(db, tree):
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    return budgets.set_budget(office, tree["north"], local_today().year, "2000")


def _leader(tree, unit="north"):
    return UserFactory(role=Role.unit_leader, unit=tree[unit])


def _finance(tree, unit="north"):
    return UserFactory(role=Role.finance, unit=tree[unit])


def test_pure_rules():
    assert rewards.split(Decimal("1000"), 3) == [Decimal("333.34"), Decimal("333.33"),
                                                 Decimal("333.33")]
    assert sum(rewards.split(Decimal("999.99"), 7)) == Decimal("999.99")
    assert rewards.tier_allowed(RewardTier.case_registered, registered=True, decided=False)
    assert not rewards.tier_allowed(RewardTier.penalty_decision, registered=True, decided=False)
    assert rewards.tier_allowed(RewardTier.major, registered=True, decided=True)


def test_tiers_are_settings(db):
    assert rewards.tier_amount(RewardTier.case_registered) == 500
    assert rewards.tier_amount(RewardTier.penalty_decision) == 800
    assert rewards.tier_amount(RewardTier.major) == 1000
    settings.set_value("rewards.tier_case_registered", 600, actor=None)
    assert rewards.tier_amount(RewardTier.case_registered) == 600


def test_full_flow_propose_approve_pay_against_budget(db, tree, budget):
    tip, reviewer = verified_tip(tree)
    assert rewards.suggested_tier(tip) is RewardTier.case_registered
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500",
                             reason="举报属实，已立案")
    assert reward.funding_unit_id == tree["north"].id and reward.status is RewardStatus.proposed
    assert [s.amount for s in reward.shares] == [Decimal("500.00")]
    rewards.approve(reward, _leader(tree), "同意")
    assert reward.status is RewardStatus.approved
    assert reward.claim_due_on == local_today() + dt.timedelta(days=90)
    line = budgets.budget_lines(_leader(tree), local_today().year)[0]
    assert (line.paid, line.approved, line.remaining) == (0, 500, 1500)
    rewards.pay(reward, _finance(tree), method="bank_transfer", payment_date=local_today(),
                voucher_no="PZ-2026-001")
    assert reward.status is RewardStatus.paid and reward.voucher_no == "PZ-2026-001"
    line = budgets.budget_lines(_leader(tree), local_today().year)[0]
    assert (line.paid, line.approved, line.remaining) == (500, 0, 1500)
    actions = _db.session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "reward", AuditLog.object_id == str(reward.id))).all()
    assert actions == ["reward.propose", "reward.approve", "reward.pay"]
    assert "claim_hint" in services.public_status(tip)


@pytest.mark.parametrize("over, field", [
    (dict(amount="1200"), "amount"),      # above the tier and the per-tip cap
    (dict(amount="300"), "amount"),       # below the minimum
    (dict(amount="abc"), "amount"),
    (dict(tier="penalty_decision", amount="800"), "tier"),  # no penalty decision yet
    (dict(tier="nonsense"), "tier"),
    (dict(reason="  "), "reason"),
])
def test_proposal_bad_input_refused_and_nothing_stored(db, tree, budget, over, field):
    tip, reviewer = verified_tip(tree)
    args = dict(tier="case_registered", amount="500", reason="属实")
    args.update(over)
    with pytest.raises(DomainError) as exc:
        rewards.propose(tip, reviewer, **args)
    assert field in exc.value.fields
    assert _db.session.scalar(select(func.count(Reward.id))) == 0


def test_only_verified_named_non_staff_first_tips_are_rewarded(db, tree, budget):
    tip, reviewer = verified_tip(tree, verdict="unfounded")
    with pytest.raises(DomainError, match="verified"):
        rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    anonymous, reviewer = verified_tip(tree, phone=None, name=None)
    with pytest.raises(DomainError) as exc:
        rewards.propose(anonymous, reviewer, tier="case_registered", amount="500", reason="x")
    assert "tip" in exc.value.fields
    UserFactory(role=Role.officer, unit=tree["centre"], phone="139-1234-5679")
    staff_tip, reviewer = verified_tip(tree, phone="13912345679")
    with pytest.raises(DomainError, match="staff"):
        rewards.propose(staff_tip, reviewer, tier="case_registered", amount="500", reason="x")


def test_first_informant_rule_and_joint_informants_split(db, tree, budget):
    first, reviewer = verified_tip(tree, phone="13911110001", decided=True)
    later, _ = verified_tip(tree, phone="13911110002")
    other, _ = verified_tip(tree, phone="13911110003")
    later.status = first.status  # merged while still open in real life; force for the test
    later.merged_into_id = first.id
    _db.session.flush()
    with pytest.raises(ConflictError, match="first valid"):
        rewards.propose(later, reviewer, tier="case_registered", amount="500", reason="x")
    with pytest.raises(DomainError) as exc:
        rewards.propose(first, reviewer, tier="case_registered", amount="500", reason="x",
                        joint_tip_ids=[other.id])
    assert "joint_tip_ids" in exc.value.fields
    reward = rewards.propose(first, reviewer, tier="penalty_decision", amount="799.99",
                             reason="两人共同举报", joint_tip_ids=[later.id])
    assert {(s.tip_id, s.amount) for s in reward.shares} == {(first.id, Decimal("400.00")),
                                                             (later.id, Decimal("399.99"))}
    with pytest.raises(ConflictError, match="already has"):
        rewards.propose(first, reviewer, tier="case_registered", amount="500", reason="x")


def test_yearly_cap_per_informant_counts_every_tip_of_the_same_phone(db, tree, budget):
    settings.set_value("rewards.cap_per_informant_year", 900, actor=None)
    tip1, reviewer = verified_tip(tree)
    tip2, _ = verified_tip(tree)  # same phone, another tip
    rewards.propose(tip1, reviewer, tier="case_registered", amount="500", reason="x")
    with pytest.raises(DomainError, match="900"):
        rewards.propose(tip2, reviewer, tier="case_registered", amount="500", reason="x")


def test_four_eyes_roles_and_states(db, tree, budget):
    tip, reviewer = verified_tip(tree)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    with pytest.raises(ForbiddenError):
        rewards.approve(reward, reviewer)  # a reviewer does not approve
    leader = _leader(tree)
    reward.proposed_by_id = leader.id  # as if the leader had proposed it
    with pytest.raises(ForbiddenError, match="own"):
        rewards.approve(reward, leader)
    reward.proposed_by_id = reviewer.id
    with pytest.raises(ConflictError):
        rewards.pay(reward, _finance(tree), method="cash", payment_date=local_today(),
                    voucher_no="V1")  # not approved yet
    with pytest.raises(DomainError) as exc:
        rewards.reject(reward, leader, "")
    assert "note" in exc.value.fields
    rewards.approve(reward, leader)
    with pytest.raises(ConflictError):
        rewards.approve(reward, _leader(tree))
    with pytest.raises(DomainError) as exc:
        rewards.pay(reward, _finance(tree), method="gold", payment_date=local_today()
                    + dt.timedelta(days=1), voucher_no="")
    assert set(exc.value.fields) == {"method", "payment_date", "voucher_no"}
    assert reward.status is RewardStatus.approved


def test_budget_refuses_what_exceeds_it(db, tree):
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    budgets.set_budget(office, tree["north"], local_today().year, "800")
    tip1, reviewer = verified_tip(tree)
    tip2, _ = verified_tip(tree, phone="13800000002")
    leader = _leader(tree)
    first = rewards.propose(tip1, reviewer, tier="case_registered", amount="500", reason="x")
    second = rewards.propose(tip2, reviewer, tier="case_registered", amount="500", reason="x")
    rewards.approve(first, leader)
    with pytest.raises(DomainError, match="remaining budget"):
        rewards.approve(second, leader)
    assert second.status is RewardStatus.proposed
    with pytest.raises(DomainError, match="already approved or paid"):
        budgets.set_budget(office, tree["north"], local_today().year, "400")
    with pytest.raises(DomainError) as exc:
        budgets.set_budget(office, tree["north_team"], local_today().year, "400")
    assert "unit_id" in exc.value.fields
    district = UserFactory(role=Role.district_office, unit=tree["centre"])
    with pytest.raises(DomainError):
        budgets.set_budget(district, tree["north"], local_today().year, "4000")


def test_no_budget_no_proposal(db, tree):
    tip, reviewer = verified_tip(tree)
    with pytest.raises(DomainError) as exc:
        rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    assert "funding_unit_id" in exc.value.fields


def test_city_budget_funds_when_the_district_has_none(db, tree):
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    budgets.set_budget(office, tree["city"], local_today().year, "5000")
    tip, reviewer = verified_tip(tree)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    assert reward.funding_unit_id == tree["city"].id


def test_contest_within_period_and_reopen(db, tree, budget):
    tip, reviewer = verified_tip(tree)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    with pytest.raises(ConflictError):
        rewards.contest(reward, "too early")
    leader = _leader(tree)
    rewards.reject(reward, leader, "证据不足")
    rewards.contest(reward, "我提供了照片和视频")
    with pytest.raises(ConflictError):
        rewards.contest(reward, "again")
    rewards.resolve_contest(reward, leader, "reopened", "重新审核")
    assert reward.status is RewardStatus.proposed and reward.decided_at is None
    rewards.approve(reward, _leader(tree))
    assert reward.status is RewardStatus.approved


def test_contest_after_the_period_is_refused(db, tree, budget):
    tip, reviewer = verified_tip(tree)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    rewards.reject(reward, _leader(tree), "证据不足")
    reward.contest_due_on = local_today() - dt.timedelta(days=1)
    with pytest.raises(ConflictError, match="ended"):
        rewards.contest(reward, "late")


def test_unclaimed_rewards_expire_and_cannot_be_paid(db, tree, budget):
    tip, reviewer = verified_tip(tree)
    reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
    rewards.approve(reward, _leader(tree))
    assert rewards.expire_unclaimed(reward.claim_due_on) == 0
    assert rewards.expire_unclaimed(reward.claim_due_on + dt.timedelta(days=1)) == 1
    _db.session.refresh(reward)
    assert reward.status is RewardStatus.expired
    with pytest.raises(ConflictError):
        rewards.pay(reward, _finance(tree), method="cash", payment_date=local_today(),
                    voucher_no="V9")
    # An expired reward frees the budget and the tip may be proposed again.
    assert budgets.budget_lines(_leader(tree), reward.year)[0].remaining == 2000
    again = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="再次")
    assert again.id != reward.id


def _setup_approved(app, *, approve: bool):
    from core import services as core_services

    with app.app_context():
        city = core_services.create_unit(actor=None, code="500000", name="重庆市",
                                         kind=UnitKind.city, parent=None)
        north = core_services.create_unit(actor=None, code="500112", name="渝北区",
                                          kind=UnitKind.district, parent=city)
        tree = {"city": city, "north": north, "north_team": north}
        office = UserFactory(role=Role.city_office, unit=city)
        budgets.set_budget(office, north, local_today().year, "600")
        tip, reviewer = verified_tip(tree, unit="north")
        reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500", reason="x")
        leaders = [_leader(tree).id for _ in range(20)]
        finance = [_finance(tree).id for _ in range(20)]
        if approve:
            rewards.approve(reward, _db.session.get(type(office), leaders[0]))
        _db.session.commit()
        ids = reward.id, leaders, finance
        _db.session.remove()
    return ids


@pytest.mark.parametrize("step", ["approve", "pay"])
def test_twenty_simultaneous_requests_make_exactly_one_change(fresh_app, step):
    reward_id, leaders, finance = _setup_approved(fresh_app, approve=step == "pay")
    barrier = threading.Barrier(20, timeout=60)
    outcomes: list[str] = []

    def act(i):
        barrier.wait()  # before any transaction: a SQLite transaction holds the write lock
        with fresh_app.app_context():
            try:
                reward = _db.session.get(Reward, reward_id)
                if step == "approve":
                    actor = _db.session.get(type(reward.proposed_by), leaders[i])
                    rewards.approve(reward, actor)
                else:
                    actor = _db.session.get(type(reward.proposed_by), finance[i])
                    rewards.pay(reward, actor, method="bank_transfer",
                                payment_date=local_today(), voucher_no=f"PZ-{i}")
                _db.session.commit()
                outcomes.append("ok")
            except DomainError as exc:
                _db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert len(outcomes) == 20 and set(outcomes) <= {"ok", "ConflictError", "DomainError"}
    with fresh_app.app_context():
        reward = _db.session.get(Reward, reward_id)
        assert reward.status is (RewardStatus.approved if step == "approve"
                                 else RewardStatus.paid)
        audited = _db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == f"reward.{step}", AuditLog.object_id == str(reward.id)))
        assert audited == 1
        if step == "pay":
            assert budgets.budget_lines(_db.session.get(type(reward.proposed_by), finance[0]),
                                        reward.year)[0].paid == 500
        assert _db.session.scalar(select(func.count(Unit.id))) == 2
        _db.session.remove()
