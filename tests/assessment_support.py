"""Builders for the assessment tests: the records of assessment.md's worked example, inserted
directly with the dates the example needs."""
from __future__ import annotations

import datetime as dt
import itertools

from assessment import services
from blacklist.models import BlacklistEntry, SubjectKind
from core.models import Department
from enforcement.cases.models import CaseClock
from enforcement.joint.models import (
    ActionKind,
    ActionParticipant,
    ActionStatus,
    FollowUpTask,
    JointAction,
    Meeting,
    TaskStatus,
)
from enforcement.tips.models import Tip, TipChannel, TipStatus
from extensions import db
from tests.joint_factories import make_case

_seq = itertools.count(1)
UTC = dt.timezone.utc


def at(day: dt.date, hour: int = 4) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def action(unit, kind, day, people, *, participant=None):
    row = JointAction(unit_id=unit.id, kind=kind, status=ActionStatus.completed,
                      name=f"行动{next(_seq)}", planned_start=at(day),
                      planned_end=at(day + dt.timedelta(days=1)), approved_at=at(day, 1))
    db.session.add(row)
    db.session.flush()
    if people:
        db.session.add(ActionParticipant(action_id=row.id, unit_id=(participant or unit).id,
                                         department=Department.transport, headcount=people))
    db.session.flush()
    return row


def decision_clock(unit, due: dt.date, done: dt.date | None):
    case = make_case(unit, at(due - dt.timedelta(days=95)))
    case.registered_on = due - dt.timedelta(days=90)
    db.session.add(CaseClock(case_id=case.id, name="decision", start_on=case.registered_on,
                             due_on=due, done_on=done))
    db.session.flush()
    return case


def tip(unit, due: dt.date, accepted: dt.date):
    n = next(_seq)
    row = Tip(unit_id=unit.id, channel=TipChannel.web, what="黑车", description="拉客",
              occurred_at=at(due), receipt_lookup=f"A{n:08d}", receipt_hash="x",
              identity_salt="x", created_at=at(due - dt.timedelta(days=1)), accept_due_on=due,
              accepted_at=at(accepted), status=TipStatus.accepted)
    db.session.add(row)
    db.session.flush()
    return row


def task(unit, due: dt.date, reported: dt.date | None):
    meeting = Meeting(unit_id=unit.id, held_on=due - dt.timedelta(days=40), title="联席会议")
    db.session.add(meeting)
    db.session.flush()
    row = FollowUpTask(meeting_id=meeting.id, unit_id=unit.id, title="督办", set_on=meeting.held_on,
                       due_on=due, reported_on=reported,
                       status=TaskStatus.reported_done if reported else TaskStatus.assigned)
    db.session.add(row)
    db.session.flush()
    return row


def nomination(unit, nominated: dt.datetime, reviewed_after_days: float):
    n = next(_seq)
    row = BlacklistEntry(unit_id=unit.id, subject_kind=SubjectKind.vehicle,
                         subject_key=f"渝A{n:05d}", plate=f"渝A{n:05d}", rule_code="R1",
                         facts_key=f"f{n}", reason="多次非法营运", nominated_at=nominated,
                         leader_approved_at=nominated + dt.timedelta(days=reviewed_after_days))
    db.session.add(row)
    db.session.flush()
    return row


def entry(actor, unit, kind, item, **kw):
    kw.setdefault("document_no", "渝交执〔2026〕12号")
    kw.setdefault("document_date", dt.date(2026, 10, 20))
    return services.add_entry(actor=actor, unit=unit, data=services.EntryInput(
        period=kw.pop("period", "2026-10"), kind=kind, item=item, **kw))


def worked_example(tree, office):
    """assessment.md §2's worked example for the district ``north`` in October 2026 (records
    at the district's enforcement team roll up to the district)."""
    team, north = tree["north_team"], tree["north"]
    oct_ = dt.date(2026, 10, 1)
    for i in range(15):
        case = make_case(team, at(oct_ + dt.timedelta(days=i)))
        case.registered_on = oct_ + dt.timedelta(days=i)
    for i in range(20):  # 18 of 20 decisions in time
        due = dt.date(2026, 10, 5 + i)
        decision_clock(team, due, due - dt.timedelta(days=2) if i < 18 else
                       due + dt.timedelta(days=3))
    action(north, ActionKind.concentrated_action, dt.date(2026, 10, 10), 18, participant=team)
    for i in range(10):
        action(team, ActionKind.daily_patrol, dt.date(2026, 10, 2 + i), 4)
    for i in range(10):  # 9 of 10 tips accepted in time
        due = dt.date(2026, 10, 3 + i)
        tip(team, due, due if i < 9 else due + dt.timedelta(days=2))
    task(team, dt.date(2026, 10, 10), dt.date(2026, 10, 15))     # late
    task(team, dt.date(2026, 10, 20), dt.date(2026, 10, 18))     # in time
    for i in range(5):  # 4 of 5 reviewed within 10 days
        nomination(team, at(dt.date(2026, 10, 2 + i)), 3 if i < 4 else 12)
    entry(office, north, "score", "lawful_administration", value="5")
    entry(office, north, "score", "case_file_review", value="4")
    entry(office, north, "survey", "public_satisfaction",
          counts={"satisfied": 20, "basic": 20})
    entry(office, north, "score", "leadership_evaluation", value="5")
    entry(office, north, "bonus", "gov_commendation", level="city")
    entry(office, north, "deduction", "criticism", level="city")


def published_objection(unit, period="2026-10"):
    """A published result of ``unit`` with one pending objection (rows written directly)."""
    from assessment.models import ResultStatus, SchemeVersion, ScoreObjection, ScoreResult
    from assessment.schemes_store import seed_schemes
    from core.roles import Role
    from tests.factories import UserFactory

    seed_schemes()
    version = db.session.scalar(db.select(SchemeVersion).limit(1))
    leader = UserFactory(role=Role.unit_leader, unit=unit)
    result = ScoreResult(period=period, subject_key=f"u{unit.id}", unit_id=unit.id,
                         scheme_version_id=version.id, status=ResultStatus.published,
                         score=80, raw="80", grade="good", inputs={"window": [
                             "2026-10-01", "2026-10-31", "2026-11-01"], "metrics": {}},
                         lines={"indicators": [{"code": "cases_registered"}]},
                         objection_due_on=dt.date(2999, 1, 1))
    db.session.add(result)
    db.session.flush()
    objection = ScoreObjection(result_id=result.id, unit_id=unit.id, indicator="cases_registered",
                               reason="立案数漏计", raised_by_id=leader.id)
    db.session.add(objection)
    db.session.flush()
    return objection
