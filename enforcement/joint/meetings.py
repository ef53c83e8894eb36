"""Joint meetings (联席会议) and their follow-up tasks (督办事项)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from core import audit, scoping, settings
from core.base import utcnow
from core.errors import ConflictError, DomainError
from core.models import Unit, UnitKind
from core.roles import Role
from enforcement.joint import rules
from enforcement.joint.models import (
    DONE_TASK_STATUSES,
    FollowUpTask,
    Meeting,
    MeetingAttendee,
    TaskStatus,
    TaskStep,
)
from extensions import db

SUPERVISORS = frozenset({Role.city_office, Role.district_office, Role.admin})


@dataclass
class TaskInput:
    title: str
    unit_id: Optional[int]
    due_on: Optional[dt.date]
    decision: str = ""


@dataclass
class MeetingInput:
    held_on: Optional[dt.date]
    title: str
    topics: str = ""
    decisions: str = ""
    attendee_unit_ids: list[int] = field(default_factory=list)
    tasks: list[TaskInput] = field(default_factory=list)


def _task(meeting_date: dt.date, data: TaskInput, actor) -> FollowUpTask:
    if not (data.title or "").strip():
        raise DomainError(_l("Give each task a title."), field="tasks")
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if unit is None or (actor is not None and not scoping.in_scope(actor, unit)):
        raise DomainError(_l("Choose the unit that owns the task."), field="tasks")
    if data.due_on is None:
        raise DomainError(_l("Give each task a due date."), field="tasks")
    if data.due_on < meeting_date:
        raise DomainError(_l("A task cannot be due before it was set."), field="due_on")
    return FollowUpTask(unit_id=unit.id, unit=unit, title=data.title.strip()[:200],
                        decision=data.decision or "", set_on=meeting_date, due_on=data.due_on)


def record_meeting(*, actor, unit: Unit, data: MeetingInput,
                   today: Optional[dt.date] = None) -> Meeting:
    """Record a held meeting, its attendees and the tasks its decisions set."""
    if data.held_on is None:
        raise DomainError(_l("Enter the date of the meeting."), field="held_on")
    if today is not None and data.held_on > today:
        raise DomainError(_l("Record a meeting once it has been held."), field="held_on")
    if not (data.title or "").strip():
        raise DomainError(_l("Enter a title."), field="title")
    attendees = []
    for unit_id in dict.fromkeys(data.attendee_unit_ids):
        attendee = db.session.get(Unit, unit_id)
        if attendee is None:
            raise DomainError(_l("Choose an existing unit."), field="attendee_unit_ids")
        attendees.append(MeetingAttendee(unit_id=attendee.id))
    tasks = [_task(data.held_on, t, actor) for t in data.tasks]
    meeting = Meeting(unit_id=unit.id, unit=unit, held_on=data.held_on,
                      title=data.title.strip()[:200], topics=data.topics or "",
                      decisions=data.decisions or "", attendees=attendees,
                      created_by_id=getattr(actor, "id", None))
    db.session.add(meeting)
    db.session.flush()
    for task in tasks:
        task.meeting_id = meeting.id
        db.session.add(task)
    db.session.flush()
    audit.record("meeting.record", actor=actor, object_type="meeting", object_id=meeting.id,
                 unit_id=unit.id, detail={"tasks": len(tasks)})
    return meeting


def add_task(meeting: Meeting, *, actor, data: TaskInput) -> FollowUpTask:
    """Set one more task from a recorded meeting (set on the meeting's date)."""
    task = _task(meeting.held_on, data, actor)
    task.meeting_id = meeting.id
    db.session.add(task)
    db.session.flush()
    audit.record("task.assign", actor=actor, object_type="followup_task", object_id=task.id,
                 unit_id=task.unit_id)
    return task


def move_task(task: FollowUpTask, *, actor, to: str, note: str = "",
              today: Optional[dt.date] = None) -> FollowUpTask:
    """One step of the loop; the owner works and reports, a supervision office above the owner
    verifies, closes or sends back (with a reason)."""
    if to not in TaskStatus._value2member_map_:
        raise DomainError(_l("Unknown status."), field="to")
    is_owner = actor is None or task.unit.is_within(actor.unit)
    is_supervisor = actor is None or (actor.role in SUPERVISORS and (
        scoping.is_citywide(actor) or task.unit.is_within(actor.unit)))
    if not rules.task_step_allowed(task.status.value, to, is_owner=is_owner,
                                   is_supervisor=is_supervisor):
        raise ConflictError(_l("This step is not allowed now."))
    if to == TaskStatus.sent_back.value and not (note or "").strip():
        raise DomainError(_l("Say why the task is sent back."), field="note")
    source = task.status
    task.status = TaskStatus(to)
    now = utcnow()
    if task.status is TaskStatus.reported_done:
        task.reported_on = today or now.astimezone(rules.LOCAL).date()
    elif task.status is TaskStatus.verified:
        task.verified_at = now
    elif task.status is TaskStatus.closed:
        task.closed_at = now
    elif task.status is TaskStatus.sent_back:
        task.sent_back_count += 1
        task.reported_on = None
    task.steps.append(TaskStep(from_status=source, to_status=task.status,
                               actor_id=getattr(actor, "id", None), note=note or ""))
    db.session.flush()
    audit.record("task.step", actor=actor, object_type="followup_task", object_id=task.id,
                 unit_id=task.unit_id, detail={"from": source.value, "to": to})
    return task


def overdue_condition(today: dt.date):
    return and_(FollowUpTask.status.not_in(list(DONE_TASK_STATUSES)),
                FollowUpTask.due_on < today)


def tasks_in_scope(actor, *, status: Optional[str] = None, overdue_on: Optional[dt.date] = None,
                   meeting_id: Optional[int] = None) -> Select:
    """Tasks owned by the actor's units, or set by their meetings."""
    stmt = select(FollowUpTask).join(Meeting, Meeting.id == FollowUpTask.meeting_id)
    if not scoping.is_citywide(actor):
        ids = scoping.subtree_ids(actor)
        stmt = stmt.where(or_(FollowUpTask.unit_id.in_(ids), Meeting.unit_id.in_(ids)))
    if status in TaskStatus._value2member_map_:
        stmt = stmt.where(FollowUpTask.status == TaskStatus(status))
    if overdue_on is not None:
        stmt = stmt.where(overdue_condition(overdue_on))
    if meeting_id is not None:
        stmt = stmt.where(FollowUpTask.meeting_id == meeting_id)
    return stmt


def meetings_in_scope(actor) -> Select:
    return scoping.scoped(select(Meeting), actor, Meeting.unit_id)


def districts_without_meeting(actor, day: dt.date) -> list[Unit]:
    """Districts and counties in scope that held fewer joint meetings (themselves or a unit
    below them) than ``joint.meetings_per_quarter`` in the quarter of ``day`` up to that day."""
    start, _end = rules.quarter_of(day)
    child = aliased(Unit)
    held = select(func.count(Meeting.id)).join(child, child.id == Meeting.unit_id).where(
        child.path.startswith(Unit.path), Meeting.held_on.between(start, day)) \
        .correlate(Unit).scalar_subquery()
    stmt = select(Unit).where(Unit.kind.in_([UnitKind.district, UnitKind.county]),
                              Unit.is_active.is_(True),
                              held < settings.get("joint.meetings_per_quarter"))
    stmt = scoping.scoped(stmt, actor, Unit.id) if actor is not None else stmt
    return list(db.session.scalars(stmt.order_by(Unit.code)))
