"""Assessment records: schemes as versioned data, which scheme applies to whom, per-unit targets,
manual entries with their evidence, score results (versioned, frozen when final) and objections
(公示) against a published result."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import UTCDateTime, utcnow
from core.models import Unit, User, str_enum
from extensions import db


class ResultStatus(str, enum.Enum):
    provisional = "provisional"  # nightly, open period
    published = "published"      # period closed, open to objections (公示)
    final = "final"              # frozen


class EntryKind(str, enum.Enum):
    score = "score"          # a manual indicator's points
    survey = "survey"        # survey counts by rating
    bonus = "bonus"          # a commendation
    deduction = "deduction"  # a criticism or other deduction event
    veto = "veto"            # a one-vote-veto event
    override = "override"    # a corrected metric (an accepted objection)


class ObjectionStatus(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class AssessmentScheme(db.Model):
    """A scheme (考核方案); its rules live in its versions."""

    __tablename__ = "assessment_schemes"
    __shared__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[SchemeVersion]] = relationship(order_by="SchemeVersion.version",
                                                         back_populates="scheme")

    __table_args__ = (CheckConstraint("subject IN ('unit', 'officer')", name="subject_kind"),)


class SchemeVersion(db.Model):
    """One version of a scheme's data; a period is scored with the version in force for it
    (the latest whose ``valid_from`` is not after the period's start). Never edited."""

    __tablename__ = "assessment_scheme_versions"
    __shared__ = True
    __table_args__ = (UniqueConstraint("scheme_id", "version"),
                      CheckConstraint("version >= 1", name="version_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[dt.date]
    data: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    scheme: Mapped[AssessmentScheme] = relationship(back_populates="versions")


class SchemeAssignment(db.Model):
    """Which scheme applies to which subjects: a unit kind, or (``unit_kind`` 'officer') the
    enforcement officers."""

    __tablename__ = "assessment_scheme_assignments"
    __shared__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), unique=True)  # a UnitKind value or 'officer'
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"))

    scheme: Mapped[AssessmentScheme] = relationship()


class UnitTarget(db.Model):
    """A unit's own target for an indicator (the scheme's default otherwise)."""

    __tablename__ = "assessment_unit_targets"
    __unit_column__ = "unit_id"
    __table_args__ = (UniqueConstraint("unit_id", "indicator"),
                      CheckConstraint("target >= 0", name="target_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(60))
    target: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    set_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManualEntry(db.Model):
    """An input entered by hand for a subject and period, with its evidence."""

    __tablename__ = "assessment_manual_entries"
    __unit_column__ = "unit_id"
    __table_args__ = (
        CheckConstraint("document_no <> ''", name="has_document_no"),
        CheckConstraint("count >= 1", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(9), index=True)
    subject_key: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "manual_entry_kind"))
    item: Mapped[str] = mapped_column(String(60))
    level: Mapped[Optional[str]] = mapped_column(String(20))
    value: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 4))
    counts: Mapped[Optional[dict]] = mapped_column(JSON(none_as_null=True))
    count: Mapped[int] = mapped_column(Integer, default=1)
    work: Mapped[Optional[str]] = mapped_column(String(80))
    document_no: Mapped[str] = mapped_column(String(80))
    document_date: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])


class ScoreResult(db.Model):
    """The score of one subject (unit ``u<id>`` or officer ``o<id>``) for one period, with the
    scheme version and every input figure. A final result is frozen: a correction is a new
    version with a reason."""

    __tablename__ = "assessment_results"
    __unit_column__ = "unit_id"
    __table_args__ = (
        UniqueConstraint("period", "subject_key", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("(status = 'final') = (finalized_at IS NOT NULL)",
                        name="final_has_time"),
        CheckConstraint("version = 1 OR correction_reason IS NOT NULL",
                        name="correction_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(9), index=True)
    subject_key: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("assessment_scheme_versions.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ResultStatus] = mapped_column(str_enum(ResultStatus),
                                                 default=ResultStatus.provisional)
    score: Mapped[Decimal] = mapped_column(Numeric(7, 1))
    raw: Mapped[str] = mapped_column(String(60))
    grade: Mapped[str] = mapped_column(String(20))
    vetoed: Mapped[bool] = mapped_column(default=False)
    rank: Mapped[Optional[int]] = mapped_column(Integer)
    advanced: Mapped[bool] = mapped_column(default=False)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    lines: Mapped[dict] = mapped_column(JSON, default=dict)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    objection_due_on: Mapped[Optional[dt.date]]
    finalized_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    correction_reason: Mapped[Optional[str]] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    user: Mapped[Optional[User]] = relationship()
    scheme_version: Mapped[SchemeVersion] = relationship()


class ScoreObjection(db.Model):
    """A unit's objection to one indicator of a published result (公示)."""

    __tablename__ = "assessment_objections"
    __unit_column__ = "unit_id"
    __table_args__ = (
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_has_time"),
        CheckConstraint("status <> 'rejected' OR decision_reason <> ''",
                        name="rejection_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("assessment_results.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(
        str_enum(ObjectionStatus, "score_objection_status"), default=ObjectionStatus.pending)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    corrected_value: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 4))

    result: Mapped[ScoreResult] = relationship()
    unit: Mapped[Unit] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])


@event.listens_for(ScoreResult, "before_update")
def _final_is_frozen(_mapper, _connection, target: ScoreResult) -> None:
    """A final result never changes (only ``is_current``, when a correction supersedes it)."""
    state = inspect(target)
    if ResultStatus.final in (state.attrs.status.history.unchanged or ()) or \
            ResultStatus.final in (state.attrs.status.history.deleted or ()):
        changed = {a.key for a in state.attrs if a.history.has_changes()}
        if changed - {"is_current"}:
            raise FrozenResultError(f"final result {target.id} is frozen: {sorted(changed)}")


class FrozenResultError(RuntimeError):
    """Raised when code tries to change a frozen (final) result."""


# Indexes the assessment's metric queries need on the records they read (one range scan per
# metric family instead of a full scan): declared here so that the owning modules stay as they are.
def _metric_indexes() -> None:
    from sqlalchemy import Index

    from enforcement.cases.models import Case, CaseClock

    Index("ix_cases_registered_on_unit", Case.registered_on, Case.unit_id)
    Index("ix_case_clocks_name_due", CaseClock.name, CaseClock.due_on)


_metric_indexes()
