"""The monthly report's rewards and blacklist sections, checked against the records."""
from __future__ import annotations

from decimal import Decimal

from core.base import local_today
from core.roles import Role
from enforcement.tips import budgets, rewards
from reports import monthly
from reports.more_sections import blacklist_section, rewards_section
from tests.factories import UserFactory
from tests.test_rewards import verified_tip


def test_rewards_and_blacklist_sections(db, tree):
    from blacklist import services as bl

    period = monthly.Period.of(local_today().replace(day=1))
    office = UserFactory(role=Role.city_office, unit=tree["city"])
    budgets.set_budget(office, tree["north"], local_today().year, "5000")
    leader = UserFactory(role=Role.unit_leader, unit=tree["north"])
    finance = UserFactory(role=Role.finance, unit=tree["north"])
    for n in range(2):
        tip, reviewer = verified_tip(tree, phone=f"1381234000{n}")
        reward = rewards.propose(tip, reviewer, tier="case_registered", amount="500",
                                 reason="属实")
        rewards.approve(reward, leader)
        if n == 0:
            rewards.pay(reward, finance, method="cash", payment_date=local_today(),
                        voucher_no="PZ-77")
    figures = rewards_section(period)["figures"]
    assert figures == {"proposed": 2, "approved": 2, "paid": 1,
                       "paid_amount": Decimal("500.00")}
    table = rewards_section(period)["tables"][1]
    assert table["rows"] == [["渝北区", 1, Decimal("500.00")]]

    case = tip.case_links[0].case
    bl.nominate(bl.NominationInput(
        subject=bl.SubjectInput(kind="vehicle", plate=case.vehicles[0].vehicle.plate),
        reason="多次非法营运", case_ids=[case.id]), actor=leader, unit=tree["north_team"])
    assert blacklist_section(period)["figures"]["nominated"] == 1
    keys = [s.key for s in monthly.registered_sections()]
    assert "rewards" in keys and "blacklist" in keys
    earlier = monthly.Period.of(local_today().replace(day=1, year=local_today().year - 1))
    assert rewards_section(earlier)["figures"]["proposed"] == 0
