"""Tips from the public (有奖举报): the tip, its plates, photos, linked cases and messages.

The informant's identity is stored only encrypted (``name_enc``, ``phone_enc``, bound to the
tip's random ``identity_salt``); the receipt code only as the public ``receipt_lookup`` and an
argon2 hash of its secret part.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import UTCDateTime, utcnow
from core.models import Unit, str_enum
from extensions import db


class TipStatus(str, enum.Enum):
    received = "received"
    accepted = "accepted"
    investigating = "investigating"
    verified = "verified"
    partly_verified = "partly_verified"
    unfounded = "unfounded"
    unverifiable = "unverifiable"
    closed = "closed"


class TipVerdict(str, enum.Enum):
    verified = "verified"
    partly_verified = "partly_verified"
    unfounded = "unfounded"
    unverifiable = "unverifiable"


class TipChannel(str, enum.Enum):
    web = "web"
    hotline_12328 = "hotline_12328"
    hotline_12345 = "hotline_12345"
    transfer = "transfer"


OPEN_STATUSES = frozenset({TipStatus.received, TipStatus.accepted, TipStatus.investigating})
REWARDABLE = frozenset({TipStatus.verified, TipStatus.partly_verified})
VERIFIED_VERDICTS = frozenset({TipVerdict.verified, TipVerdict.partly_verified})


class Tip(db.Model):
    __tablename__ = "tips"
    __unit_column__ = "unit_id"
    __table_args__ = (
        Index("ix_tips_unit_status", "unit_id", "status"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
        CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="point_complete"),
        CheckConstraint("verdict IS NULL OR verdict_reason IS NOT NULL", name="verdict_has_reason"),
        CheckConstraint("(verdict IS NULL) = (concluded_at IS NULL)", name="verdict_concluded"),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[TipStatus] = mapped_column(str_enum(TipStatus), default=TipStatus.received)
    channel: Mapped[TipChannel] = mapped_column(str_enum(TipChannel))
    what: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lng: Mapped[Optional[float]] = mapped_column(Float)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    receipt_lookup: Mapped[str] = mapped_column(String(16), unique=True)
    receipt_hash: Mapped[str] = mapped_column(String(255))
    identity_salt: Mapped[str] = mapped_column(String(32))
    name_enc: Mapped[Optional[str]] = mapped_column(Text)
    phone_enc: Mapped[Optional[str]] = mapped_column(Text)
    # Keyed hash of the phone: finds the same informant across tips (yearly cap, staff check).
    phone_index: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    wants_reward: Mapped[bool] = mapped_column(default=False)
    verdict: Mapped[Optional[TipVerdict]] = mapped_column(str_enum(TipVerdict))
    verdict_reason: Mapped[Optional[str]] = mapped_column(Text)
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tips.id"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    concluded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    replied_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    accept_due_on: Mapped[dt.date] = mapped_column(index=True)
    conclude_due_on: Mapped[Optional[dt.date]] = mapped_column(index=True)
    reply_due_on: Mapped[Optional[dt.date]] = mapped_column(index=True)

    unit: Mapped[Optional[Unit]] = relationship()
    merged_into: Mapped[Optional[Tip]] = relationship(remote_side=[id])
    plates: Mapped[list[TipPlate]] = relationship(cascade="all, delete-orphan",
                                                  order_by="TipPlate.id", back_populates="tip")
    photos: Mapped[list[TipPhoto]] = relationship(cascade="all, delete-orphan",
                                                  order_by="TipPhoto.id", back_populates="tip")
    messages: Mapped[list[TipMessage]] = relationship(cascade="all, delete-orphan",
                                                      order_by="TipMessage.id",
                                                      back_populates="tip")
    case_links: Mapped[list[TipCase]] = relationship(cascade="all, delete-orphan",
                                                     order_by="TipCase.case_id",
                                                     back_populates="tip")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and self.merged_into_id is None

    @property
    def has_identity(self) -> bool:
        return self.name_enc is not None or self.phone_enc is not None

    @property
    def plate_list(self) -> list[str]:
        return [p.plate for p in self.plates]


class TipPlate(db.Model):
    __tablename__ = "tip_plates"
    __scope_parent__ = "tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(20), index=True)

    tip: Mapped[Tip] = relationship(back_populates="plates")


class TipPhoto(db.Model):
    """An uploaded photo: the original kept encrypted for tip reviewers (``original_name``), and
    the copy everyone else sees, re-encoded without EXIF/GPS/author metadata (``stored_name``)."""

    __tablename__ = "tip_photos"
    __scope_parent__ = "tip"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    original_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    original_mime: Mapped[Optional[str]] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="photos")


class TipMessage(db.Model):
    """One message of the two-way thread between the informant and the reviewers."""

    __tablename__ = "tip_messages"
    __scope_parent__ = "tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    from_informant: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="messages")


class TipCase(db.Model):
    """A case opened on (or joined with) a tip."""

    __tablename__ = "tip_cases"
    __scope_parent__ = "tip"

    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"),
                                        primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="case_links")
    case = relationship("Case")
