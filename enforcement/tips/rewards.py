"""Rewards for verified tips: proposal → unit-leader approval → finance payment, against budgets.

Tiers, caps and periods are settings (defaults from domain.md §5.3). Only the first valid tip on
the same facts (the primary of its merged duplicates) is rewarded; joint informants (tips merged
into it) may share. Approval and payment lock the budget row and change the reward's status with
a conditional UPDATE, so simultaneous requests produce one approval and one payment, never two.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from core import audit, identity, scoping, settings
from core.base import local_today, utcnow
from core.errors import ConflictError, DomainError, ForbiddenError
from core.models import Unit, UnitKind, User
from core.roles import Role
from enforcement.cases.services import parse_money
from enforcement.tips.models import VERIFIED_VERDICTS, Tip
from enforcement.tips.reward_models import (
    COMMITTED,
    LIVE,
    ContestOutcome,
    PaymentMethod,
    Reward,
    RewardBudget,
    RewardShare,
    RewardStatus,
    RewardTier,
)
from enforcement.tips.services import clean_text, phone_index
from extensions import db

settings.define("rewards.tier_case_registered", 500, "yuan for a verified tip that led to a "
                "registered case", minimum=0)
settings.define("rewards.tier_penalty_decision", 800, "yuan for a tip that led to a penalty "
                "decision", minimum=0)
settings.define("rewards.tier_major", 1000, "yuan for a tip that led to a blacklisting, the "
                "detention of several vehicles or a gang case", minimum=0)
settings.define("rewards.min_amount", 500, "smallest reward in yuan", minimum=0)
settings.define("rewards.cap_per_tip", 1000, "largest reward for one tip in yuan", minimum=0)
settings.define("rewards.cap_per_informant_year", 3000, "most one informant may receive in a "
                "year, in yuan", minimum=0)
settings.define("rewards.claim_days", 90, "days after approval to claim a reward before it "
                "expires", minimum=1)
settings.define("rewards.contest_days", 15, "days after a reward decision to contest it",
                minimum=1)

TIER_SETTINGS = {
    RewardTier.case_registered: "rewards.tier_case_registered",
    RewardTier.penalty_decision: "rewards.tier_penalty_decision",
    RewardTier.major: "rewards.tier_major",
}
FUNDING_KINDS = (UnitKind.city, UnitKind.district, UnitKind.county)
FEN = Decimal("0.01")


# Pure rules ----------------------------------------------------------------------------------

def tier_amount(tier: RewardTier) -> Decimal:
    return Decimal(settings.get(TIER_SETTINGS[tier]))


def tier_allowed(tier: RewardTier, *, registered: bool, decided: bool) -> bool:
    """What the linked cases must show for a tier: a registered case for the first tier, a
    penalty decision for the others."""
    return decided if tier is not RewardTier.case_registered else (registered or decided)


def suggested_tier(tip: Tip) -> Optional[RewardTier]:
    cases = [link.case for link in tip.case_links]
    if any(c.decided_on is not None for c in cases):
        return RewardTier.penalty_decision
    if any(c.registered_on is not None for c in cases):
        return RewardTier.case_registered
    return None


def split(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` equal shares to the fen, the remainder to the first share."""
    share = (amount / parts).quantize(FEN, rounding=ROUND_DOWN)
    return [amount - share * (parts - 1)] + [share] * (parts - 1)


# Look-ups ------------------------------------------------------------------------------------

def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def funding_budget(unit: Unit, year: int) -> Optional[RewardBudget]:
    """The deepest city/district/county budget of ``year`` above (or at) ``unit``."""
    rows = db.session.scalars(select(RewardBudget).join(Unit, Unit.id == RewardBudget.unit_id)
                              .where(RewardBudget.unit_id.in_(_ancestor_ids(unit)),
                                     RewardBudget.year == year)
                              .order_by(func.length(Unit.path).desc())).all()
    return rows[0] if rows else None


def committed_total(funding_unit_id: int, year: int, *, statuses=COMMITTED,
                    exclude_id: Optional[int] = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(Reward.amount), 0)).where(
        Reward.funding_unit_id == funding_unit_id, Reward.year == year,
        Reward.status.in_(statuses))
    if exclude_id is not None:
        stmt = stmt.where(Reward.id != exclude_id)
    return Decimal(db.session.scalar(stmt)).quantize(FEN)


def informant_total(index: str, year: int, *, exclude_reward_id: Optional[int] = None) -> Decimal:
    """What one informant (by phone index) holds in live rewards of ``year``."""
    stmt = (select(func.coalesce(func.sum(RewardShare.amount), 0))
            .join(Reward, Reward.id == RewardShare.reward_id)
            .join(Tip, Tip.id == RewardShare.tip_id)
            .where(Tip.phone_index == index, Reward.year == year, Reward.status.in_(LIVE)))
    if exclude_reward_id is not None:
        stmt = stmt.where(Reward.id != exclude_reward_id)
    return Decimal(db.session.scalar(stmt)).quantize(FEN)


def is_staff_phone(index: Optional[str]) -> bool:
    """Whether a phone index matches the phone of any user (staff cannot claim rewards)."""
    if index is None:
        return False
    for raw in db.session.scalars(select(User.phone).where(User.phone.is_not(None))):
        try:
            if phone_index(identity.validate_phone(raw)) == index:
                return True
        except identity.PhoneError:
            continue
    return False


def live_reward(tip: Tip) -> Optional[Reward]:
    return db.session.scalar(select(Reward).where(Reward.tip_id == tip.id,
                                                  Reward.status.in_(LIVE)))


# Steps ---------------------------------------------------------------------------------------

def _require(actor, role: Role, message) -> None:
    if actor is None or actor.role is not role:
        raise ForbiddenError(message)


def _payees(tip: Tip, joint_ids: Iterable[int]) -> list[Tip]:
    payees = [tip]
    for tip_id in dict.fromkeys(int(i) for i in joint_ids if int(i) != tip.id):
        joint = db.session.get(Tip, tip_id)
        if joint is None or joint.merged_into_id != tip.id:
            raise DomainError(_l("Joint informants must be tips merged into this one."),
                              field="joint_tip_ids")
        payees.append(joint)
    for payee in payees:
        if payee.name_enc is None or payee.phone_enc is None:
            raise DomainError(_l("A reward needs the informant's name and phone; an anonymous "
                                 "tip cannot be rewarded."), field="joint_tip_ids"
                              if payee is not tip else "tip")
        if is_staff_phone(payee.phone_index):
            raise DomainError(_l("The informant's phone belongs to a member of staff; staff "
                                 "cannot claim rewards."), field="tip")
    return payees


def propose(tip: Tip, actor, *, tier, amount, reason: str, joint_tip_ids=(),
            funding_unit_id: Optional[int] = None) -> Reward:
    """A tip reviewer proposes a reward for a verified tip."""
    _require(actor, Role.tip_reviewer, _l("Only tip reviewers propose rewards."))
    if tip.merged_into_id is not None:
        raise ConflictError(_l("Only the first valid tip on the same facts is rewarded: propose "
                               "the reward on the tip this one was merged into."))
    if tip.verdict not in VERIFIED_VERDICTS:
        raise DomainError(_l("Only a verified tip earns a reward."), field="tip")
    if live_reward(tip) is not None:
        raise ConflictError(_l("This tip already has a reward."))
    try:
        tier = RewardTier(tier)
    except ValueError:
        raise DomainError(_l("Choose a tier."), field="tier") from None
    cases = [link.case for link in tip.case_links]
    if not tier_allowed(tier, registered=any(c.registered_on for c in cases),
                        decided=any(c.decided_on for c in cases)):
        raise DomainError(_l("The linked cases do not support this tier."), field="tier")
    amount = parse_money(amount, "amount")
    ceiling = min(tier_amount(tier), Decimal(settings.get("rewards.cap_per_tip")))
    floor = Decimal(settings.get("rewards.min_amount"))
    if amount is None or not floor <= amount <= ceiling:
        raise DomainError(_l("The reward must lie between %(low)s and %(high)s yuan.",
                             low=floor, high=ceiling), field="amount")
    reason = clean_text(reason)
    if not reason:
        raise DomainError(_l("Give the reason for the reward."), field="reason")
    payees = _payees(tip, joint_tip_ids)
    year = local_today().year
    shares = split(amount, len(payees))
    cap = Decimal(settings.get("rewards.cap_per_informant_year"))
    for payee, share in zip(payees, shares):
        if informant_total(payee.phone_index, year) + share > cap:
            raise DomainError(_l("This informant would receive more than %(cap)s yuan this "
                                 "year.", cap=cap), field="amount")
    budget = _funding(tip, actor, year, funding_unit_id)
    reward = Reward(tip_id=tip.id, unit_id=tip.unit_id, funding_unit_id=budget.unit_id,
                    year=year, tier=tier, amount=amount, status=RewardStatus.proposed,
                    reason=reason, proposed_by_id=actor.id, proposed_at=utcnow())
    reward.shares = [RewardShare(tip_id=p.id, amount=s) for p, s in zip(payees, shares)]
    db.session.add(reward)
    db.session.flush()
    audit.record("reward.propose", actor=actor, object_type="reward", object_id=reward.id,
                 unit_id=reward.unit_id, detail={"tip": tip.id, "amount": str(amount),
                                                 "tier": tier.value})
    return reward


def _funding(tip: Tip, actor, year: int, funding_unit_id: Optional[int]) -> RewardBudget:
    if funding_unit_id:
        budget = db.session.scalar(select(RewardBudget).where(
            RewardBudget.unit_id == int(funding_unit_id), RewardBudget.year == year))
        if budget is None or not tip.unit.is_within(budget.unit):
            raise DomainError(_l("Choose a budget that covers this tip's unit."),
                              field="funding_unit_id")
        return budget
    budget = funding_budget(tip.unit, year)
    if budget is None:
        raise DomainError(_l("No reward budget for %(year)d covers this unit.", year=year),
                          field="funding_unit_id")
    return budget


def _lock_budget(reward: Reward) -> RewardBudget:
    budget = db.session.scalar(select(RewardBudget).where(
        RewardBudget.unit_id == reward.funding_unit_id, RewardBudget.year == reward.year)
        .with_for_update())
    if budget is None:
        raise DomainError(_l("No reward budget for %(year)d covers this unit.",
                             year=reward.year), field="funding_unit_id")
    return budget


def _transition(reward: Reward, frm: RewardStatus, **values) -> None:
    """Move ``reward`` from ``frm`` with one conditional UPDATE; lose cleanly if someone was
    first."""
    result = db.session.execute(
        update(Reward).where(Reward.id == reward.id, Reward.status == frm).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(reward)
        raise ConflictError(_l("This reward was changed by someone else; reload the page."))
    db.session.expire(reward)


def approve(reward: Reward, actor, note: str = "") -> Reward:
    """The unit leader approves a proposal (not their own) within the remaining budget."""
    _require(actor, Role.unit_leader, _l("Only unit leaders approve rewards."))
    if reward.proposed_by_id == actor.id:
        raise ForbiddenError(_l("You cannot approve your own proposal."))
    if reward.status is not RewardStatus.proposed:
        raise ConflictError(_l("Only a proposed reward can be approved or rejected."))
    budget = _lock_budget(reward)
    if committed_total(budget.unit_id, budget.year, exclude_id=reward.id) + reward.amount > \
            budget.amount:
        raise DomainError(_l("The reward exceeds the remaining budget of %(unit)s for %(year)d.",
                             unit=budget.unit.name, year=budget.year), field="amount")
    today = local_today()
    _transition(reward, RewardStatus.proposed, status=RewardStatus.approved,
                approved_by_id=actor.id, decided_at=utcnow(),
                decision_note=clean_text(note) or None,
                claim_due_on=today + dt.timedelta(days=settings.get("rewards.claim_days")),
                contest_due_on=today + dt.timedelta(days=settings.get("rewards.contest_days")))
    audit.record("reward.approve", actor=actor, object_type="reward", object_id=reward.id,
                 unit_id=reward.unit_id, detail={"amount": str(reward.amount)})
    return reward


def reject(reward: Reward, actor, note: str) -> Reward:
    _require(actor, Role.unit_leader, _l("Only unit leaders approve rewards."))
    if reward.status is not RewardStatus.proposed:
        raise ConflictError(_l("Only a proposed reward can be approved or rejected."))
    note = clean_text(note)
    if not note:
        raise DomainError(_l("Give the reason for the rejection."), field="note")
    _transition(reward, RewardStatus.proposed, status=RewardStatus.rejected,
                approved_by_id=None, decided_at=utcnow(), decision_note=note,
                contest_due_on=local_today() + dt.timedelta(
                    days=settings.get("rewards.contest_days")))
    audit.record("reward.reject", actor=actor, object_type="reward", object_id=reward.id,
                 unit_id=reward.unit_id)
    return reward


def pay(reward: Reward, actor, *, method, payment_date: Optional[dt.date],
        voucher_no: str) -> Reward:
    """Finance records the payment of an approved reward, once, within the budget."""
    _require(actor, Role.finance, _l("Only finance records payments."))
    errors: dict[str, list[str]] = {}
    try:
        method = PaymentMethod(method)
    except ValueError:
        errors["method"] = [str(_l("Choose how it was paid."))]
    today = local_today()
    if payment_date is None or payment_date > today:
        errors["payment_date"] = [str(_l("Enter the payment date (not in the future)."))]
    voucher_no = clean_text(voucher_no)
    if not voucher_no or len(voucher_no) > 40:
        errors["voucher_no"] = [str(_l("Enter the voucher number (at most 40 characters)."))]
    if errors:
        raise DomainError(_l("Some fields are not valid."), fields=errors)
    if reward.status is not RewardStatus.approved:
        raise ConflictError(_l("Only an approved, unpaid reward can be paid."))
    if reward.tip.verdict not in VERIFIED_VERDICTS:
        raise ConflictError(_l("The tip is no longer verified; the reward cannot be paid."))
    if reward.claim_due_on is not None and reward.claim_due_on < today:
        raise ConflictError(_l("The claim period of this reward has ended."))
    if db.session.scalar(select(Reward.id).where(Reward.voucher_no == voucher_no)):
        raise DomainError(_l("This voucher number is already used."), field="voucher_no")
    budget = _lock_budget(reward)
    paid = committed_total(budget.unit_id, budget.year, statuses={RewardStatus.paid},
                           exclude_id=reward.id)
    if paid + reward.amount > budget.amount:
        raise DomainError(_l("The reward exceeds the remaining budget of %(unit)s for %(year)d.",
                             unit=budget.unit.name, year=budget.year), field="amount")
    _transition(reward, RewardStatus.approved, status=RewardStatus.paid, paid_by_id=actor.id,
                paid_at=utcnow(), payment_method=method, payment_date=payment_date,
                voucher_no=voucher_no)
    audit.record("reward.pay", actor=actor, object_type="reward", object_id=reward.id,
                 unit_id=reward.unit_id, detail={"amount": str(reward.amount),
                                                 "voucher": voucher_no})
    return reward


def contest(reward: Reward, text: str) -> Reward:
    """The informant contests the decision (through the receipt code) within the period."""
    if reward.decided_at is None or reward.contest_due_on is None:
        raise ConflictError(_l("There is no decision to contest yet."))
    if reward.contested_at is not None:
        raise ConflictError(_l("This decision was already contested."))
    if local_today() > reward.contest_due_on:
        raise ConflictError(_l("The period to contest this decision has ended."))
    text = clean_text(text)
    if not text or len(text) > 2000:
        raise DomainError(_l("Say why you contest the decision (at most 2000 characters)."),
                          field="body")
    reward.contested_at, reward.contest_text = utcnow(), text
    db.session.flush()
    audit.record("reward.contest", actor=None, object_type="reward", object_id=reward.id,
                 unit_id=reward.unit_id)
    return reward


def resolve_contest(reward: Reward, actor, outcome, reply: str) -> Reward:
    """The unit leader answers a contest: dismiss it, or reopen the decision (back to proposed)."""
    _require(actor, Role.unit_leader, _l("Only unit leaders answer a contest."))
    if reward.contested_at is None or reward.contest_outcome is not None:
        raise ConflictError(_l("There is no open contest on this reward."))
    try:
        outcome = ContestOutcome(outcome)
    except ValueError:
        raise DomainError(_l("Choose an outcome."), field="outcome") from None
    reply = clean_text(reply)
    if not reply:
        raise DomainError(_l("Give the reason for the answer."), field="reply")
    if outcome is ContestOutcome.reopened:
        if reward.status not in (RewardStatus.rejected, RewardStatus.approved):
            raise ConflictError(_l("A paid or expired reward cannot be reopened."))
        if live_reward(reward.tip) not in (None, reward):
            raise ConflictError(_l("This tip already has a reward."))
        _transition(reward, reward.status, status=RewardStatus.proposed, approved_by_id=None,
                    decided_at=None, claim_due_on=None, contest_due_on=None)
    reward.contest_outcome, reward.contest_reply = outcome, reply
    reward.contest_resolved_by_id = actor.id
    db.session.flush()
    audit.record("reward.contest_answer", actor=actor, object_type="reward",
                 object_id=reward.id, unit_id=reward.unit_id, detail={"outcome": outcome.value})
    return reward


def expire_unclaimed(today: Optional[dt.date] = None) -> int:
    """Approved rewards past their claim period expire (scheduler, daily)."""
    today = today or local_today()
    result = db.session.execute(
        update(Reward).where(Reward.status == RewardStatus.approved,
                             Reward.claim_due_on < today)
        .values(status=RewardStatus.expired).execution_options(synchronize_session=False))
    if result.rowcount:
        audit.record("reward.expire", actor=None, object_type="reward", object_id=None,
                     detail={"count": result.rowcount, "before": today.isoformat()})
    return result.rowcount


def public_reward(tip: Tip) -> Optional[dict]:
    """What the informant's status page may say about the reward of this tip (as a payee)."""
    reward = db.session.scalar(select(Reward).join(RewardShare, RewardShare.reward_id == Reward.id)
                               .where(RewardShare.tip_id == tip.id)
                               .order_by(Reward.id.desc()).limit(1))
    if reward is None or reward.status is RewardStatus.proposed:
        return None
    share = next(s.amount for s in reward.shares if s.tip_id == tip.id)
    can_contest = (reward.contest_due_on is not None and reward.contested_at is None
                   and local_today() <= reward.contest_due_on)
    return {"reward": reward, "status": reward.status.value, "amount": share,
            "claim_due_on": reward.claim_due_on, "can_contest": can_contest,
            "contest_due_on": reward.contest_due_on}


def visible_rewards(actor):
    return scoping.scoped(select(Reward), actor, Reward.unit_id)
