"""Scoped selects of assessment results, entries and objections (routes, exports and the API
share them)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Select, select

from assessment.models import ManualEntry, ObjectionStatus, ScoreObjection, ScoreResult
from core import scoping
from core.roles import Role


def unit_results(actor, period: str) -> Select:
    """Current unit results of the period in the actor's scope, best first."""
    stmt = select(ScoreResult).where(ScoreResult.period == period,
                                     ScoreResult.is_current.is_(True),
                                     ScoreResult.user_id.is_(None))
    return scoping.scoped(stmt, actor, ScoreResult.unit_id).order_by(
        ScoreResult.score.desc(), ScoreResult.unit_id)


def officer_results(actor, period: str) -> Select:
    """Officers' results: an officer sees only their own."""
    stmt = select(ScoreResult).where(ScoreResult.period == period,
                                     ScoreResult.is_current.is_(True),
                                     ScoreResult.user_id.is_not(None))
    if actor.role == Role.officer:
        return stmt.where(ScoreResult.user_id == actor.id)
    return scoping.scoped(stmt, actor, ScoreResult.unit_id).order_by(ScoreResult.score.desc())


def current_result(period: str, key: str) -> Optional[Select]:
    return select(ScoreResult).where(ScoreResult.period == period,
                                     ScoreResult.subject_key == key,
                                     ScoreResult.is_current.is_(True))


def history(actor, keys: list[str], periods: list[str]) -> Select:
    return scoping.scoped(select(ScoreResult.subject_key, ScoreResult.period, ScoreResult.score)
                          .where(ScoreResult.subject_key.in_(keys),
                                 ScoreResult.period.in_(periods),
                                 ScoreResult.is_current.is_(True)), actor, ScoreResult.unit_id)


def entries(actor, period: str) -> Select:
    return scoping.scoped(select(ManualEntry).where(ManualEntry.period == period), actor,
                          ManualEntry.unit_id).order_by(ManualEntry.id.desc())


def objections(actor, pending_only: bool = False) -> Select:
    stmt = scoping.scoped(select(ScoreObjection), actor, ScoreObjection.unit_id)
    if pending_only:
        stmt = stmt.where(ScoreObjection.status == ObjectionStatus.pending)
    return stmt.order_by(ScoreObjection.id.desc())
