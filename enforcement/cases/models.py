"""The case file: the case, its officers, parties, vehicles, steps, clocks, measures and files."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
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
from enforcement.people.models import Person, Vehicle
from enforcement.violations.models import Tier, ViolationType
from extensions import db


class CaseStatus(str, enum.Enum):
    draft = "draft"
    registered = "registered"
    investigating = "investigating"
    legal_review = "legal_review"
    notified = "notified"
    decided = "decided"
    executed = "executed"
    closed = "closed"
    transferred = "transferred"
    withdrawn = "withdrawn"


FINAL_STATUSES = frozenset({CaseStatus.closed, CaseStatus.transferred, CaseStatus.withdrawn})


class CaseOrigin(str, enum.Enum):
    patrol = "patrol"
    tip = "tip"
    joint_action = "joint_action"
    video = "video"
    transfer = "transfer"
    hotline = "hotline"


class PartyRole(str, enum.Enum):
    driver = "driver"
    owner = "owner"
    organiser = "organiser"
    company = "company"


class Case(db.Model):
    __tablename__ = "cases"
    __unit_column__ = "unit_id"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "seq"),
        Index("ix_cases_unit_status", "unit_id", "status"),
        Index("ix_cases_occurred_at", "occurred_at"),
        Index("ix_cases_lat_lng", "lat", "lng"),  # covering index of the case map's grid cells
        # covering indexes of the monthly report's roll-ups (a month's cases by status, unit,
        # violation type and grid cell; the fines decided in a month): migration 0010_report
        Index("ix_cases_month_report", "occurred_at", "status", "unit_id", "violation_type_id",
              "lat", "lng"),
        Index("ix_cases_decided_fine", "decided_on", "status", "fine_amount"),
        CheckConstraint("proposed_fine IS NULL OR proposed_fine >= 0", name="proposed_fine"),
        CheckConstraint("fine_amount IS NULL OR fine_amount >= 0", name="fine_amount"),
        CheckConstraint("confiscated_amount IS NULL OR confiscated_amount >= 0",
                        name="confiscated_amount"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
        CheckConstraint("status <> 'withdrawn' OR withdraw_reason IS NOT NULL",
                        name="withdrawn_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.draft)
    origin: Mapped[CaseOrigin] = mapped_column(str_enum(CaseOrigin))
    origin_ref: Mapped[Optional[str]] = mapped_column(String(60), index=True)  # import look-ups
    tip_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    joint_action_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lng: Mapped[Optional[float]] = mapped_column(Float)
    violation_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("violation_types.id"),
                                                             index=True)
    facts: Mapped[str] = mapped_column(Text, default="")
    documents_detained: Mapped[Optional[str]] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registered_on: Mapped[Optional[dt.date]]
    notified_on: Mapped[Optional[dt.date]]
    decided_on: Mapped[Optional[dt.date]]
    executed_on: Mapped[Optional[dt.date]]
    closed_on: Mapped[Optional[dt.date]]

    tier: Mapped[Optional[Tier]] = mapped_column(str_enum(Tier))
    proposed_fine: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    fine_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    confiscated_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    is_penalty_flagged: Mapped[bool] = mapped_column(default=False)
    penalty_justification: Mapped[Optional[str]] = mapped_column(Text)
    statement_waived: Mapped[bool] = mapped_column(default=False)
    paid_on: Mapped[Optional[dt.date]]
    receipt_no: Mapped[Optional[str]] = mapped_column(String(60))
    court_enforcement_on: Mapped[Optional[dt.date]]
    transferred_to: Mapped[Optional[str]] = mapped_column(String(120))
    withdraw_reason: Mapped[Optional[str]] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    violation_type: Mapped[Optional[ViolationType]] = relationship()
    created_by: Mapped[User] = relationship()
    officers: Mapped[list[CaseOfficer]] = relationship(cascade="all, delete-orphan",
                                                         order_by="CaseOfficer.id")
    parties: Mapped[list[CaseParty]] = relationship(cascade="all, delete-orphan",
                                                      order_by="CaseParty.id")
    vehicles: Mapped[list[CaseVehicle]] = relationship(cascade="all, delete-orphan",
                                                         order_by="CaseVehicle.id")
    steps: Mapped[list[CaseStep]] = relationship(order_by="CaseStep.id")
    clocks: Mapped[list[CaseClock]] = relationship(cascade="all, delete-orphan",
                                                     order_by="CaseClock.due_on")
    detentions: Mapped[list[Detention]] = relationship(cascade="all, delete-orphan",
                                                         order_by="Detention.id")
    suspensions: Mapped[list[Suspension]] = relationship(cascade="all, delete-orphan",
                                                           order_by="Suspension.id")
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id",
                                                      back_populates="case")
    documents: Mapped[list[CaseDocument]] = relationship(order_by="CaseDocument.id",
                                                           back_populates="case")

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES


class CaseCounter(db.Model):
    """The last case sequence issued per unit and year (gap-free numbering)."""

    __tablename__ = "case_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class CaseOfficer(db.Model):
    __tablename__ = "case_officers"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    user: Mapped[User] = relationship()


class CaseParty(db.Model):
    __tablename__ = "case_parties"
    __table_args__ = (UniqueConstraint("case_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole))

    person: Mapped[Person] = relationship()


class CaseVehicle(db.Model):
    __tablename__ = "case_vehicles"
    __table_args__ = (UniqueConstraint("case_id", "vehicle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    is_fake_plate: Mapped[bool] = mapped_column(default=False)

    vehicle: Mapped[Vehicle] = relationship()


class CaseStep(db.Model):
    """One recorded step of the procedure (never edited: a correction is a new step)."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, "to_status"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[User]] = relationship()


class CaseClock(db.Model):
    """A statutory deadline of a case, recomputed whenever the case or the calendar changes."""

    __tablename__ = "case_clocks"
    __table_args__ = (UniqueConstraint("case_id", "name"),
                      Index("ix_case_clocks_open_due", "done_on", "due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    start_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    done_on: Mapped[Optional[dt.date]]

    case: Mapped[Case] = relationship(back_populates="clocks")


class Detention(db.Model):
    """A vehicle detained (暂扣) as an administrative compulsory measure."""

    __tablename__ = "detentions"
    __table_args__ = (CheckConstraint("released_on IS NULL OR released_on >= detained_on",
                                      name="release_after_detention"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    detained_on: Mapped[dt.date]
    storage_lot: Mapped[str] = mapped_column(String(120))
    extended_on: Mapped[Optional[dt.date]]
    released_on: Mapped[Optional[dt.date]]

    vehicle: Mapped[Vehicle] = relationship()


class Suspension(db.Model):
    """A period the decision clock stops (e.g. a hearing, 中止)."""

    __tablename__ = "suspensions"
    __table_args__ = (CheckConstraint("end_on IS NULL OR end_on >= start_on",
                                      name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    start_on: Mapped[dt.date]
    end_on: Mapped[Optional[dt.date]]


class Evidence(db.Model):
    """An evidence file: the original is stored unchanged under a generated name."""

    __tablename__ = "evidence"
    __scope_parent__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()
    case: Mapped[Case] = relationship(back_populates="evidence")


class CaseDocument(db.Model):
    """An issued document (notice, decision) frozen as a stored PDF; re-issuing adds a version."""

    __tablename__ = "case_documents"
    __scope_parent__ = "case"
    __table_args__ = (UniqueConstraint("case_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(back_populates="documents")


class Holiday(db.Model):
    """A public holiday (day off) or an official make-up working day (调休)."""

    __tablename__ = "holidays"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(40), default="")
