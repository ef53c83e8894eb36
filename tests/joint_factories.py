"""Small builders for joint-enforcement and report tests: cases and tips at a place and time,
inserted directly (the case and tip services refuse past or future times the tests need)."""
from __future__ import annotations

import itertools
from decimal import Decimal

from enforcement.cases.models import Case, CaseOrigin, CaseStatus
from enforcement.tips.models import Tip, TipChannel, TipStatus, TipVerdict
from extensions import db
from tests.factories import UserFactory

_seq = itertools.count(1)


def make_case(unit, occurred_at, lat=None, lng=None, *, status=CaseStatus.registered,
              violation_type=None, fine=None, decided_on=None, action=None, author=None):
    n = next(_seq)
    author = author or UserFactory(unit=unit)
    case = Case(number=f"T{unit.code}-{occurred_at.year}-{n:06d}", unit_id=unit.id, unit=unit,
                year=occurred_at.year, seq=n, status=status, origin=CaseOrigin.patrol,
                occurred_at=occurred_at, address="测试地点", lat=lat, lng=lng,
                violation_type=violation_type, fine_amount=Decimal(fine) if fine else None,
                decided_on=decided_on, created_by_id=author.id,
                joint_action_id=action.id if action else None,
                withdraw_reason="撤销" if status is CaseStatus.withdrawn else None)
    db.session.add(case)
    db.session.flush()
    return case


def make_tip(unit, occurred_at, lat=None, lng=None, *, created_at=None, verdict=None,
             concluded_at=None):
    n = next(_seq)
    tip = Tip(unit_id=unit.id, channel=TipChannel.web, what="黑车", description="拉客",
              occurred_at=occurred_at, lat=lat, lng=lng, receipt_lookup=f"T{n:08d}",
              receipt_hash="x", identity_salt="x", created_at=created_at or occurred_at,
              accept_due_on=(created_at or occurred_at).date(),
              status=TipStatus(verdict) if verdict else TipStatus.received,
              verdict=TipVerdict(verdict) if verdict else None,
              verdict_reason="查实" if verdict else None,
              concluded_at=(concluded_at or created_at or occurred_at) if verdict else None)
    db.session.add(tip)
    db.session.flush()
    return tip
