"""The bench's raw-SQL reference of the monthly assessment (``bench/assess.py``) computes the
same numbers as the app's metrics: on the worked example plus records at every edge the metrics
draw (window ends, local dates, merged tips, reviews pending, actions led or joined, quarters), for
a month with a quarter end, a month without and the month still open."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select

from assessment import metrics, scoring
from assessment.periods import parse_period
from bench import assess as bench_assess
from core.models import Department, Unit, UnitKind
from enforcement.cases.models import CaseClock
from enforcement.joint.models import ActionKind, ActionStatus, Meeting, TaskStatus
from enforcement.tips.models import TipStatus
from extensions import db
from tests.assessment_support import (
    action,
    at,
    decision_clock,
    nomination,
    task,
    tip,
    worked_example,
)
from tests.factories import UnitFactory, UserFactory
from tests.joint_factories import make_case

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="the reference is raw SQL for SQLite")

TODAY = dt.date(2026, 11, 23)
D = dt.date


def edges(tree):
    """Records at the edges of the metrics' conditions, in the centre district's subtree and
    at the city (above every assessed unit)."""
    team, centre, north, city = tree["centre_team"], tree["centre"], tree["north"], tree["city"]
    for day in (D(2026, 9, 30), D(2026, 10, 1), D(2026, 10, 31), D(2026, 11, 1)):
        make_case(team, at(day)).registered_on = day
    make_case(city, at(D(2026, 10, 5))).registered_on = D(2026, 10, 5)
    make_case(centre, at(D(2026, 10, 6))).registered_on = None  # not registered
    closed_team = UnitFactory(kind=UnitKind.department, department=Department.transport,
                              parent=centre, is_active=False)  # not assessed, still counted
    make_case(closed_team, at(D(2026, 10, 7))).registered_on = D(2026, 10, 7)
    decision_clock(team, D(2026, 10, 31), None)             # open, past: late
    decision_clock(team, D(2026, 11, 20), None)             # open, past by the 23rd: late
    decision_clock(team, D(2026, 11, 25), None)             # open, not yet due: not counted
    decision_clock(team, D(2026, 9, 30), D(2026, 9, 30))    # met on the day
    case = decision_clock(centre, D(2026, 10, 15), D(2026, 10, 14))
    db.session.add(CaseClock(case_id=case.id, name="statement", start_on=D(2026, 10, 1),
                             due_on=D(2026, 10, 3), done_on=None))  # not a decision clock
    tip(team, D(2026, 10, 5), D(2026, 10, 5))
    late_local = tip(team, D(2026, 10, 6), D(2026, 10, 6))
    late_local.accepted_at = dt.datetime(2026, 10, 6, 17, tzinfo=dt.timezone.utc)  # 7th local
    open_tip = tip(centre, D(2026, 10, 7), D(2026, 10, 7))
    open_tip.accepted_at, open_tip.status = None, TipStatus.received  # never accepted
    closed = tip(centre, D(2026, 10, 8), D(2026, 10, 8))
    closed.accepted_at, closed.status = None, TipStatus.closed  # closed without acceptance
    conclude_late = tip(team, D(2026, 10, 9), D(2026, 10, 9))
    conclude_late.conclude_due_on = D(2026, 10, 20)
    reply_open = tip(team, D(2026, 11, 2), D(2026, 11, 2))
    reply_open.reply_due_on = D(2026, 11, 22)
    merged = tip(team, D(2026, 10, 10), D(2026, 10, 20))
    merged.merged_into_id = late_local.id
    orphan = tip(team, D(2026, 10, 11), D(2026, 10, 25))
    orphan.unit_id = None
    overdue = task(team, D(2026, 9, 28), None)
    done = task(centre, D(2026, 10, 28), None)
    done.status, done.verified_at = TaskStatus.verified, at(D(2026, 10, 29))  # no report date
    reported_late = task(centre, D(2026, 11, 10), D(2026, 11, 12))
    task(city, D(2026, 10, 12), None)                         # above every assessed unit
    for row in (overdue, done, reported_late):  # their meetings in Q2: none in Q3 at centre
        db.session.get(Meeting, row.meeting_id).held_on = D(2026, 6, 30)
    nomination(team, at(D(2026, 9, 3)), 10)                   # exactly ten days: in time
    pending = nomination(team, at(D(2026, 10, 3)), 1)
    pending.leader_approved_at = None                         # not reviewed, limit passed
    recent = nomination(centre, at(D(2026, 11, 18)), 1)
    recent.leader_approved_at = None                          # not reviewed, limit not passed
    ended = nomination(centre, at(D(2026, 11, 2)), 1)
    ended.leader_approved_at, ended.ended_at = None, at(D(2026, 11, 20))  # ended after 18 days
    led = action(centre, ActionKind.daily_patrol, D(2026, 10, 3), 3, participant=team)
    led.actual_start = at(D(2026, 11, 1), 1)                  # moved into November (local)
    action(team, ActionKind.daily_patrol, D(2026, 9, 30), 2, participant=tree["north_team"])
    planned = action(centre, ActionKind.daily_patrol, D(2026, 10, 4), 2)
    planned.status, planned.approved_at = ActionStatus.planned, None
    action(centre, ActionKind.concentrated_action, D(2026, 9, 10), 25, participant=team)
    action(team, ActionKind.daily_patrol, D(2026, 11, 26), 2)  # after the 23rd: not yet
    action(team, ActionKind.concentrated_action, D(2026, 11, 5), 30)
    action(centre, ActionKind.concentrated_action, D(2026, 10, 20), 0)  # nobody took part
    db.session.add(Meeting(unit_id=north.id, held_on=D(2026, 10, 1), title="联席会议"))
    db.session.add(Meeting(unit_id=city.id, held_on=D(2026, 9, 1), title="联席会议"))
    db.session.add(Meeting(unit_id=centre.id, held_on=D(2026, 7, 15), title="联席会议"))
    db.session.flush()


def _app_figures(month: str) -> dict:
    period = parse_period(month)
    start, end = period.span()
    window = metrics.Window(start, end, min(TODAY, end + dt.timedelta(days=1)))
    units = list(db.session.scalars(select(Unit).where(
        Unit.is_active.is_(True), Unit.kind.in_(bench_assess.ASSESSED_KINDS))))
    values = metrics.unit_metrics(units, window, period.months(), period.quarters_ending())
    return {uid: {name: (int(r.numerator), None if r.denominator is None
                         else int(r.denominator)) for name, r in by_name.items()}
            for uid, by_name in values.items()}


def _raw(month: str) -> dict:
    db.session.flush()
    conn = db.session.connection().connection.driver_connection
    return bench_assess.raw_metrics(conn, bench_assess.month_params(conn, month, TODAY))


@pytest.fixture
def records(db, tree):
    worked_example(tree, UserFactory(role="city_office", unit=tree["city"]))
    edges(tree)
    return tree


@pytest.mark.parametrize("month", ["2026-09", "2026-10", "2026-11"])
def test_raw_reference_equals_the_app_metrics(records, month):
    raw = _raw(month)
    assert bench_assess.compare(raw, _app_figures(month)) == []
    assert len(raw) == 4  # two districts, two departmental units
    assert bench_assess.compare(raw, {uid: raw[uid] for uid in raw}) == []


def test_the_records_reach_every_branch(records):
    """The data set is not trivially equal: each metric has a non-zero figure somewhere."""
    figures = {**{f"{m}/{u}/{k}": v for m in ("2026-09", "2026-10", "2026-11")
                  for u, by_name in _raw(m).items() for k, v in by_name.items()}}
    for name in bench_assess.RAW_SQL:
        assert any(v[0] for k, v in figures.items() if k.endswith("/" + name)), name
    north, centre = records["north"].id, records["centre"].id
    sept, oct_, nov = _raw("2026-09"), _raw("2026-10"), _raw("2026-11")
    team = records["centre_team"].id
    assert sept[centre]["meeting_breaches"] == (0, None)  # one in July
    assert sept[team]["meeting_breaches"] == (1, None)  # none in its subtree in Q3
    assert sept[north]["meeting_breaches"] == (0, None)
    assert nov[team]["joint_patrols"] == (1, None)  # the one moved in; not the one to come
    assert oct_[north]["concentrated_action_breaches"] == (1, None)  # 18 people of 20
    assert nov[centre]["concentrated_action_breaches"] == (0, None)  # month not ended
    assert oct_[centre]["cases_registered"] == (3, None)  # 2 of its team's, 1 of the closed
    assert oct_[centre]["tips_on_time"] == (2, 5)  # 1 of its own 2, 1 of its team's 3


def test_stored_figures_equal_the_reference(records):
    """The bench's own check: what ``assess`` stored equals the raw SQL."""
    scoring.assess("2026-10", today=TODAY)
    db.session.flush()
    conn = db.session.connection().connection.driver_connection
    stored, skipped = bench_assess.stored_metrics(conn, "2026-10")
    assert skipped == 0 and len(stored) == 4
    assert bench_assess.compare(_raw("2026-10"), stored) == []
