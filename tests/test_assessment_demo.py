"""The assessment demo step on a small demo city."""
from __future__ import annotations

from sqlalchemy import func, select

from assessment import demo
from assessment.models import ObjectionStatus, ResultStatus, ScoreObjection, ScoreResult
from core.models import UnitKind
from core.roles import Role
from tests.factories import UserFactory


def test_demo_scores_a_year_with_a_veto_and_objections(db, tree):
    UserFactory(username="city", role=Role.city_office, unit=tree["city"])
    UserFactory(username="yubei", role=Role.district_office, unit=tree["north"])
    assert tree["north"].kind == UnitKind.district
    summary = demo.load_demo(1)
    assert summary.startswith("12 months")
    periods = set(db.session.scalars(select(ScoreResult.period).where(
        ScoreResult.user_id.is_(None))))
    assert len([p for p in periods if len(p) == 7]) == 12
    assert db.session.scalar(select(func.count(ScoreResult.id)).where(
        ScoreResult.vetoed.is_(True))) >= 1
    statuses = set(db.session.scalars(select(ScoreObjection.status)))
    assert statuses == {ObjectionStatus.accepted, ObjectionStatus.rejected}
    assert db.session.scalar(select(func.count(ScoreResult.id)).where(
        ScoreResult.status == ResultStatus.final)) > 0
    assert demo.load_demo(1) == "already present"
