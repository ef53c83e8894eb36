"""Joint enforcement (联合执法): actions with their plan and results, rule breaches, strict-control
zones with weekly hours, joint meetings and their follow-up tasks."""
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
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import UTCDateTime, utcnow
from core.models import Department, Unit, User, str_enum
from extensions import db


class ActionKind(str, enum.Enum):
    daily_patrol = "daily_patrol"
    night_action = "night_action"
    concentrated_action = "concentrated_action"
    cross_region_action = "cross_region_action"
    special_campaign = "special_campaign"


class ActionStatus(str, enum.Enum):
    planned = "planned"
    approved = "approved"
    completed = "completed"
    cancelled = "cancelled"


class PhaseKind(str, enum.Enum):
    survey = "survey"
    publicity = "publicity"
    enforcement = "enforcement"
    review = "review"


def _action_visible(actor, action) -> bool:
    """Seen by the lead unit's subtree, the host district of a cross-region action and every
    participating unit (writes stay with the lead unit: see ``services``)."""
    units = [action.unit, action.host_unit] + [p.unit for p in action.participants]
    return any(u is not None and u.is_within(actor.unit) for u in units)


class JointAction(db.Model):
    """One joint action: the plan (lead unit, participants, areas, time), approval and results."""

    __tablename__ = "joint_actions"
    __unit_column__ = "unit_id"
    __scope_check__ = staticmethod(_action_visible)
    __table_args__ = (
        CheckConstraint("planned_end > planned_start", name="planned_order"),
        CheckConstraint("actual_end IS NULL OR actual_start IS NULL OR actual_end > actual_start",
                        name="actual_order"),
        CheckConstraint("(status = 'planned') OR (status = 'cancelled') OR "
                        "(approved_at IS NOT NULL)", name="approved_has_time"),
        CheckConstraint("vehicles_checked >= 0 AND vehicles_detained >= 0 AND fines >= 0 "
                        "AND violent_incidents >= 0 AND media_reports >= 0",
                        name="results_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    host_unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[ActionKind] = mapped_column(str_enum(ActionKind))
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus),
                                                 default=ActionStatus.planned)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    planned_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    planned_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actual_start: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    actual_end: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    vehicles_checked: Mapped[int] = mapped_column(Integer, default=0)
    vehicles_detained: Mapped[int] = mapped_column(Integer, default=0)
    fines: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    violent_incidents: Mapped[int] = mapped_column(Integer, default=0)
    media_reports: Mapped[int] = mapped_column(Integer, default=0)
    results_note: Mapped[str] = mapped_column(Text, default="")
    results_recorded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    host_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[host_unit_id])
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[Optional[User]] = relationship(foreign_keys=[approved_by_id])
    participants: Mapped[list[ActionParticipant]] = relationship(
        cascade="all, delete-orphan", order_by="ActionParticipant.id", back_populates="action")
    phases: Mapped[list[ActionPhase]] = relationship(
        cascade="all, delete-orphan", order_by="ActionPhase.starts_on", back_populates="action")
    areas: Mapped[list[ActionArea]] = relationship(
        cascade="all, delete-orphan", order_by="ActionArea.id", back_populates="action")
    breaches: Mapped[list[RuleBreach]] = relationship(order_by="RuleBreach.id",
                                                      back_populates="action")

    @property
    def start(self) -> dt.datetime:
        return self.actual_start or self.planned_start

    @property
    def end(self) -> dt.datetime:
        return self.actual_end or self.planned_end

    @property
    def headcount(self) -> int:
        return sum(p.headcount for p in self.participants)


class ActionParticipant(db.Model):
    """A participating unit and the people it sends, per department."""

    __tablename__ = "joint_action_participants"
    __scope_parent__ = "action"
    __table_args__ = (
        UniqueConstraint("action_id", "unit_id", "department"),
        CheckConstraint("headcount >= 0", name="headcount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("joint_actions.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    department: Mapped[Department] = mapped_column(str_enum(Department))
    headcount: Mapped[int] = mapped_column(Integer)

    action: Mapped[JointAction] = relationship(back_populates="participants")
    unit: Mapped[Unit] = relationship()


class ActionPhase(db.Model):
    """A phase of a special campaign (survey, publicity, full enforcement, review)."""

    __tablename__ = "joint_action_phases"
    __scope_parent__ = "action"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="phase_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("joint_actions.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[PhaseKind] = mapped_column(str_enum(PhaseKind))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]

    action: Mapped[JointAction] = relationship(back_populates="phases")


class ActionArea(db.Model):
    """A target area: a strict-control zone, or a polygon/point drawn on the map."""

    __tablename__ = "joint_action_areas"
    __scope_parent__ = "action"
    __table_args__ = (CheckConstraint("zone_id IS NOT NULL OR geojson IS NOT NULL",
                                      name="zone_or_drawn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("joint_actions.id", ondelete="CASCADE"),
                                           index=True)
    zone_id: Mapped[Optional[int]] = mapped_column(ForeignKey("strict_zones.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    geojson: Mapped[Optional[dict]] = mapped_column(JSON(none_as_null=True))

    action: Mapped[JointAction] = relationship(back_populates="areas")
    zone: Mapped[Optional[Zone]] = relationship()


class RuleBreach(db.Model):
    """A plan (or a unit in a period) that broke a rule of §4.1/§4.3, kept for the assessments.
    ``key`` makes recording the same breach twice impossible."""

    __tablename__ = "joint_rule_breaches"
    __unit_column__ = "unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    action_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("joint_actions.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(7), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    action: Mapped[Optional[JointAction]] = relationship(back_populates="breaches")


class Zone(db.Model):
    """A strict-control zone (严管区域) with its responsible unit (定点包干)."""

    __tablename__ = "strict_zones"
    __unit_column__ = "unit_id"
    __table_args__ = (
        CheckConstraint("min_lat <= max_lat AND min_lng <= max_lng", name="bbox_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    responsible_department: Mapped[Optional[str]] = mapped_column(String(120))
    geojson: Mapped[dict] = mapped_column(JSON)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    min_lng: Mapped[float] = mapped_column(Float)
    max_lng: Mapped[float] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    windows: Mapped[list[ZoneWindow]] = relationship(
        cascade="all, delete-orphan", order_by="(ZoneWindow.weekday, ZoneWindow.starts_at)",
        back_populates="zone")


class ZoneWindow(db.Model):
    """A weekly time window of a zone, local time; ``ends_at <= starts_at`` runs past midnight."""

    __tablename__ = "strict_zone_windows"
    __scope_parent__ = "zone"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("ends_at <> starts_at", name="not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("strict_zones.id", ondelete="CASCADE"),
                                         index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)

    zone: Mapped[Zone] = relationship(back_populates="windows")


class TaskStatus(str, enum.Enum):
    assigned = "assigned"
    in_progress = "in_progress"
    reported_done = "reported_done"
    verified = "verified"
    closed = "closed"
    sent_back = "sent_back"


class Meeting(db.Model):
    """A joint meeting (联席会议) held by a unit: attendees, topics, decisions."""

    __tablename__ = "joint_meetings"
    __unit_column__ = "unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    topics: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    attendees: Mapped[list[MeetingAttendee]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingAttendee.id", back_populates="meeting")
    tasks: Mapped[list[FollowUpTask]] = relationship(order_by="FollowUpTask.id",
                                                     back_populates="meeting")


class MeetingAttendee(db.Model):
    __tablename__ = "joint_meeting_attendees"
    __scope_parent__ = "meeting"
    __table_args__ = (UniqueConstraint("meeting_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id", ondelete="CASCADE"),
                                            index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    unit: Mapped[Unit] = relationship()


class FollowUpTask(db.Model):
    """A follow-up task (督办事项) from a meeting's decision, owned by a unit."""

    __tablename__ = "followup_tasks"
    __unit_column__ = "unit_id"
    __table_args__ = (
        CheckConstraint("due_on >= set_on", name="due_after_set"),
        CheckConstraint("sent_back_count >= 0", name="sent_back_not_negative"),
        CheckConstraint("(status IN ('verified', 'closed')) = (verified_at IS NOT NULL)",
                        name="verified_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("joint_meetings.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(Text, default="")
    set_on: Mapped[dt.date]
    due_on: Mapped[dt.date] = mapped_column(index=True)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus),
                                               default=TaskStatus.assigned)
    sent_back_count: Mapped[int] = mapped_column(Integer, default=0)
    reported_on: Mapped[Optional[dt.date]]
    verified_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="tasks")
    unit: Mapped[Unit] = relationship()
    steps: Mapped[list[TaskStep]] = relationship(cascade="all, delete-orphan",
                                                 order_by="TaskStep.id", back_populates="task")

    def is_overdue(self, today: dt.date) -> bool:
        return self.status not in DONE_TASK_STATUSES and self.due_on < today


DONE_TASK_STATUSES = frozenset({TaskStatus.reported_done, TaskStatus.verified,
                                TaskStatus.closed})


class TaskStep(db.Model):
    __tablename__ = "followup_task_steps"
    __scope_parent__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id", ondelete="CASCADE"),
                                         index=True)
    from_status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "from_task_status"))
    to_status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "to_task_status"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    task: Mapped[FollowUpTask] = relationship(back_populates="steps")
    actor: Mapped[Optional[User]] = relationship()
