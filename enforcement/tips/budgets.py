"""Reward budgets per funding source (city finance, each district's finance) and year, and the
spending against them."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from core import audit, scoping
from core.base import utcnow
from core.errors import DomainError, ForbiddenError
from core.models import Unit
from core.roles import Role
from enforcement.cases.services import parse_money
from enforcement.tips.reward_models import COMMITTED, Reward, RewardBudget, RewardStatus
from enforcement.tips.rewards import FUNDING_KINDS, committed_total
from enforcement.tips.services import clean_text
from extensions import db

EDITORS = frozenset({Role.finance, Role.city_office, Role.district_office})


@dataclass(frozen=True)
class BudgetLine:
    budget: RewardBudget
    paid: Decimal
    approved: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget.amount - self.paid - self.approved

    @property
    def used_percent(self) -> int:
        if not self.budget.amount:
            return 100 if (self.paid or self.approved) else 0
        return int((self.paid + self.approved) * 100 / self.budget.amount)


def set_budget(actor, unit: Unit, year, amount, note: str = "") -> RewardBudget:
    """Create or change the budget of a funding unit for a year; never below what is committed."""
    if actor is None or actor.role not in EDITORS:
        raise ForbiddenError(_l("Only finance and the supervision offices set budgets."))
    if unit is None or not scoping.can_see_unit(actor, unit):
        raise DomainError(_l("Choose a unit in your area."), field="unit_id")
    if unit.kind not in FUNDING_KINDS:
        raise DomainError(_l("Budgets belong to the city or a district or county."),
                          field="unit_id")
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise DomainError(_l("Enter a year between 2000 and 2100."), field="year")
    amount = parse_money(amount, "amount")
    if amount is None:
        raise DomainError(_l("Enter an amount in yuan, e.g. 500.00."), field="amount")
    committed = committed_total(unit.id, year)
    if amount < committed:
        raise DomainError(_l("%(amount)s yuan are already approved or paid from this budget.",
                             amount=committed), field="amount")
    budget = db.session.scalar(select(RewardBudget).where(RewardBudget.unit_id == unit.id,
                                                          RewardBudget.year == year)
                               .with_for_update())
    before = str(budget.amount) if budget else None
    if budget is None:
        budget = RewardBudget(unit_id=unit.id, year=year, amount=amount)
        db.session.add(budget)
    budget.amount, budget.note = amount, clean_text(note)[:200]
    budget.updated_by_id, budget.updated_at = actor.id, utcnow()
    db.session.flush()
    audit.record("budget.set", actor=actor, object_type="reward_budget", object_id=budget.id,
                 unit_id=unit.id, detail={"year": year, "from": before, "to": str(amount)})
    return budget


def budget_lines(actor, year: int) -> list[BudgetLine]:
    """The budgets of ``year`` the actor may see, with paid and approved-unpaid amounts."""
    budgets = db.session.scalars(
        scoping.scoped(select(RewardBudget), actor, RewardBudget.unit_id)
        .join(Unit, Unit.id == RewardBudget.unit_id)
        .where(RewardBudget.year == year).order_by(Unit.path)).all()
    if not budgets:
        return []
    paid = func.sum(case((Reward.status == RewardStatus.paid, Reward.amount), else_=0))
    approved = func.sum(case((Reward.status == RewardStatus.approved, Reward.amount), else_=0))
    totals = {row.funding_unit_id: row for row in db.session.execute(
        select(Reward.funding_unit_id, paid.label("paid"), approved.label("approved"))
        .where(Reward.year == year, Reward.status.in_(COMMITTED),
               Reward.funding_unit_id.in_([b.unit_id for b in budgets]))
        .group_by(Reward.funding_unit_id))}
    out = []
    for budget in budgets:
        row = totals.get(budget.unit_id)
        out.append(BudgetLine(budget, Decimal(row.paid if row else 0),
                              Decimal(row.approved if row else 0)))
    return out
