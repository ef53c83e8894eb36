"""Rewards for verified tips, the yearly budgets that pay them, and identity-reveal requests.

Amounts are yuan (Decimal, two places) as in cases. A reward belongs to the unit of its tip (scoping) and is paid
from one funding source: the budget of a city or district unit for the reward's year.
"""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import UTCDateTime, utcnow
from core.models import Unit, User, str_enum
from enforcement.tips.models import Tip
from extensions import db


class RewardStatus(str, enum.Enum):
    proposed = "proposed"
    approved = "approved"
    paid = "paid"
    rejected = "rejected"
    expired = "expired"


class RewardTier(str, enum.Enum):
    case_registered = "case_registered"
    penalty_decision = "penalty_decision"
    major = "major"


class PaymentMethod(str, enum.Enum):
    bank_transfer = "bank_transfer"
    cash = "cash"
    mobile = "mobile"


class ContestOutcome(str, enum.Enum):
    dismissed = "dismissed"
    reopened = "reopened"


# Rewards in these states hold their amount against the budget and block a second reward.
COMMITTED = frozenset({RewardStatus.approved, RewardStatus.paid})
LIVE = frozenset({RewardStatus.proposed, RewardStatus.approved, RewardStatus.paid})


class RewardBudget(db.Model):
    """One funding source's money for rewards in one year (市财政, each 区县财政)."""

    __tablename__ = "reward_budgets"
    __unit_column__ = "unit_id"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", name="one_per_year"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()


class Reward(db.Model):
    __tablename__ = "rewards"
    __unit_column__ = "unit_id"
    __table_args__ = (
        # At most one live reward per tip: a rejected or expired one may be followed by another.
        Index("uq_rewards_live_tip", "tip_id", unique=True,
              sqlite_where=db.text("status IN ('proposed', 'approved', 'paid')"),
              postgresql_where=db.text("status IN ('proposed', 'approved', 'paid')")),
        Index("ix_rewards_funding_year", "funding_unit_id", "year", "status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status <> 'paid' OR (paid_at IS NOT NULL AND voucher_no IS NOT NULL)",
                        name="paid_has_voucher"),
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> proposed_by_id",
                        name="four_eyes"),
        UniqueConstraint("voucher_no", name="voucher_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    funding_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    tier: Mapped[RewardTier] = mapped_column(str_enum(RewardTier))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[RewardStatus] = mapped_column(str_enum(RewardStatus),
                                                 default=RewardStatus.proposed)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    claim_due_on: Mapped[Optional[dt.date]] = mapped_column(index=True)
    contest_due_on: Mapped[Optional[dt.date]]
    paid_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    payment_method: Mapped[Optional[PaymentMethod]] = mapped_column(str_enum(PaymentMethod))
    payment_date: Mapped[Optional[dt.date]]
    voucher_no: Mapped[Optional[str]] = mapped_column(String(40))
    contested_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    contest_text: Mapped[Optional[str]] = mapped_column(Text)
    contest_outcome: Mapped[Optional[ContestOutcome]] = mapped_column(str_enum(ContestOutcome))
    contest_reply: Mapped[Optional[str]] = mapped_column(Text)
    contest_resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    tip: Mapped[Tip] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    funding_unit: Mapped[Unit] = relationship(foreign_keys=[funding_unit_id])
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[Optional[User]] = relationship(foreign_keys=[approved_by_id])
    paid_by: Mapped[Optional[User]] = relationship(foreign_keys=[paid_by_id])
    shares: Mapped[list[RewardShare]] = relationship(cascade="all, delete-orphan",
                                                     order_by="RewardShare.tip_id",
                                                     back_populates="reward")


class RewardShare(db.Model):
    """Who is paid: the first valid informant, or joint informants splitting the reward."""

    __tablename__ = "reward_shares"
    __scope_parent__ = "reward"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id", ondelete="CASCADE"),
                                           primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), primary_key=True, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    reward: Mapped[Reward] = relationship(back_populates="shares")
    tip: Mapped[Tip] = relationship()


class RevealStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class IdentityRequest(db.Model):
    """A reasoned request by someone other than a tip reviewer to learn an informant's identity;
    only the city supervision office (the custodian) may grant it, for a limited time."""

    __tablename__ = "identity_requests"
    __scope_parent__ = "tip"
    __table_args__ = (
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requested_by_id",
                        name="not_own_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[RevealStatus] = mapped_column(str_enum(RevealStatus),
                                                 default=RevealStatus.pending)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    valid_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    tip: Mapped[Tip] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])
