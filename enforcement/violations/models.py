"""Violation types with their legal basis, penalty range and discretion tiers (data, not code)."""
from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import Department, str_enum
from extensions import db


class Tier(str, enum.Enum):
    first = "first"  # 初次违法
    general = "general"  # 一般
    serious = "serious"  # 严重: repeat within the window, organiser, violent resistance


class ViolationType(db.Model):
    __tablename__ = "violation_types"
    __shared__ = True  # one catalogue for the whole city
    __table_args__ = (CheckConstraint("min_fine >= 0 AND max_fine >= min_fine",
                                      name="fine_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    legal_basis: Mapped[str] = mapped_column(Text)
    penalty_basis: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[Department] = mapped_column(str_enum(Department))
    min_fine: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    max_fine: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    is_active: Mapped[bool] = mapped_column(default=True)

    tiers: Mapped[list[DiscretionTier]] = relationship(
        back_populates="violation_type", order_by="DiscretionTier.min_fine",
        cascade="all, delete-orphan")

    def tier(self, tier: Tier) -> DiscretionTier | None:
        return next((t for t in self.tiers if t.tier == tier), None)


class DiscretionTier(db.Model):
    __tablename__ = "discretion_tiers"
    __table_args__ = (
        UniqueConstraint("violation_type_id", "tier"),
        CheckConstraint("min_fine >= 0 AND max_fine >= min_fine", name="fine_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    violation_type_id: Mapped[int] = mapped_column(ForeignKey("violation_types.id",
                                                              ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(str_enum(Tier))
    min_fine: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    max_fine: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    description: Mapped[str] = mapped_column(Text, default="")

    violation_type: Mapped[ViolationType] = relationship(back_populates="tiers")
