"""``assess(period)``: pick the scheme version in force, compute the metrics, score every
assessed unit and officer with the engine, rank, mark advanced units and store the results.

Idempotent: a result whose figures did not change is left as it is; a frozen (final) result is
never changed: a correction is a new version with a reason. Two runs at once leave one result
(the unique (period, subject, version) key and INSERT … ON CONFLICT DO NOTHING)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from assessment import engine, figures, metrics
from assessment.models import (
    EntryKind,
    ManualEntry,
    ObjectionStatus,
    ResultStatus,
    ScoreObjection,
    ScoreResult,
    UnitTarget,
)
from assessment.periods import KIND_ORDER, Period, parse_period
from assessment.schemes_store import assignments, ensure_seeded, indicator, version_in_force
from core import audit, settings
from core.base import local_today, utcnow
from core.database import insert_ignore_many
from core.errors import DomainError
from core.models import Unit, User
from core.roles import Role
from extensions import db

settings.define("assessment.objection_days", 7,
                "days a published result is open to objections (公示) before it is frozen")


def subject_key(*, unit: Optional[Unit] = None, user: Optional[User] = None) -> str:
    return f"o{user.id}" if user is not None else f"u{unit.id}"


def applies(data: dict, period: Period) -> bool:
    """A scheme scores periods of its own kind, and coarser ones for monthly schemes."""
    kind = data.get("period", "month")
    if kind == "month":
        return True
    return kind == period.kind or (KIND_ORDER[period.kind] > KIND_ORDER[kind]
                                   and kind != "year")


def _tidy(number: Decimal) -> Decimal:
    """15.0000 → 15, 0.9500 → 0.95 (stored Numeric values shown as entered)."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


# What _inputs_for reads of the manual entries (rows, not ORM objects)
_ENTRY_COLUMNS = (ManualEntry.subject_key, ManualEntry.id, ManualEntry.kind, ManualEntry.item,
                  ManualEntry.value, ManualEntry.counts, ManualEntry.level, ManualEntry.count,
                  ManualEntry.work)


def _inputs_for(data: dict, subject: str, metrics_of: dict, targets: dict,
                entries: list) -> engine.Inputs:
    inputs = engine.Inputs(metrics=dict(metrics_of), targets=dict(targets))
    for entry in sorted(entries, key=lambda e: e.id):
        if entry.kind == EntryKind.score:
            inputs.manual[entry.item] = _tidy(Decimal(entry.value))
        elif entry.kind == EntryKind.survey:
            inputs.surveys[entry.item] = {k: int(v) for k, v in (entry.counts or {}).items()}
        elif entry.kind == EntryKind.bonus:
            inputs.bonus.append(engine.Event(item=entry.item, level=entry.level,
                                             count=entry.count, work=entry.work))
        elif entry.kind == EntryKind.deduction:
            inputs.deductions.append(engine.Event(item=entry.item, level=entry.level,
                                                  count=entry.count, event=entry.work))
        elif entry.kind == EntryKind.veto:
            if entry.item not in inputs.vetoes:
                inputs.vetoes.append(entry.item)
        elif entry.kind == EntryKind.override:
            spec = indicator(data, entry.item) or {}
            value = _tidy(Decimal(entry.value))
            if spec.get("kind") == "manual":
                inputs.manual[entry.item] = value
            else:
                inputs.metrics[spec.get("metric", entry.item)] = engine.Ratio(value)
    return inputs


@dataclass
class Scored:
    key: str
    unit_id: int
    user_id: Optional[int]
    result: engine.Result
    figures: dict
    lines: dict
    version_id: int
    rank: Optional[int] = None
    advanced: bool = False


@dataclass
class RunSummary:
    period: str
    scored: int = 0
    changed: int = 0
    frozen: int = 0
    skipped_final: int = 0
    schemes: list = field(default_factory=list)


def _subjects(kinds: list[str]):
    return list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True),
                                                      Unit.kind.in_(kinds)).order_by(Unit.id)))


def _score_scheme(scheme, period: Period, today: dt.date, subjects_kinds: list[str],
                  version=None):
    version = version or version_in_force(scheme, period.span()[0])
    data = version.data
    if not applies(data, period):
        return []
    if period.kind == "year" and data.get("annual") and data.get("period") != "year":
        return _ranked(data, scheme, _annual(scheme, period, today, subjects_kinds, data,
                                             version.id))
    start, end = period.span(data.get("year_starts"))
    window = metrics.Window(start, end, min(today, end + dt.timedelta(days=1)))
    lines_of = figures.Lines(data)
    entries: dict[str, list] = {}
    for entry in db.session.execute(select(*_ENTRY_COLUMNS).where(
            ManualEntry.period == period.text)):
        entries.setdefault(entry.subject_key, []).append(entry)
    out = []
    if scheme.subject == "officer":
        officers = list(db.session.scalars(select(User).where(
            User.role == Role.officer, User.is_active.is_(True)).order_by(User.id)))
        values = metrics.officer_metrics([u.id for u in officers], window)
        for user in officers:
            key = subject_key(user=user)
            inputs = _inputs_for(data, key, values.get(user.id, {}), {}, entries.get(key, []))
            result = engine.score(data, inputs)
            out.append(Scored(key, user.unit_id, user.id, result,
                              figures.of_inputs(inputs, window), lines_of(result), version.id))
    else:
        units = _subjects(subjects_kinds)
        values = metrics.unit_metrics(units, window, period.months(),
                                      period.quarters_ending())
        targets: dict[int, dict] = {}
        for t in db.session.scalars(select(UnitTarget).where(
                UnitTarget.unit_id.in_([u.id for u in units]))):
            targets.setdefault(t.unit_id, {})[t.indicator] = _tidy(Decimal(t.target))
        for unit in units:
            key = subject_key(unit=unit)
            inputs = _inputs_for(data, key, values.get(unit.id, {}), targets.get(unit.id, {}),
                                 entries.get(key, []))
            result = engine.score(data, inputs)
            out.append(Scored(key, unit.id, None, result, figures.of_inputs(inputs, window),
                              lines_of(result), version.id))
    return _ranked(data, scheme, out)


def _ranked(data: dict, scheme, out: list[Scored]) -> list[Scored]:
    if scheme.subject == "unit":
        chosen = engine.advanced(data, [(s.key, s.result.score, s.result.vetoed) for s in out])
        for s in out:
            s.advanced = s.key in chosen
    ranks = engine.rank({s.key: s.result.score for s in out})
    for s in out:
        s.rank = ranks[s.key]
    return out


def _annual(scheme, period: Period, today: dt.date, kinds: list[str], data: dict,
            version_id: int) -> list[Scored]:
    """The annual score of a scheme with an ``annual`` rule: the weighted half-year scores
    (中期评估和年终评估，权重均为50%), each scored with the version in force for it."""
    parts = [(parse_period(f"{period.year}-{half}"), Decimal(str(weight)))
             for half, weight in data["annual"]]
    scored = [({s.key: s for s in _score_scheme(scheme, part, today, kinds)}, part, weight)
              for part, weight in parts]
    start, end = period.span()
    window = [start.isoformat(), end.isoformat(),
              min(today, end + dt.timedelta(days=1)).isoformat()]
    out = []
    for key, first in scored[0][0].items():
        halves = [(by_key[key], part, weight) for by_key, part, weight in scored
                  if key in by_key]
        value = engine.combine([(s.result.score, weight) for s, _p, weight in halves])
        vetoed = any(s.result.vetoed for s, _p, _w in halves)
        annual = [[part.text, weight, s.result.score] for s, part, weight in halves]
        result = engine.Result(score=value, raw=value, grade=engine.grade_of(data, value, vetoed),
                               vetoed=vetoed, lines=[], categories={}, bonus=Decimal(0),
                               deduction=Decimal(0), bonus_lines=[], deduction_lines=[])
        out.append(Scored(key, first.unit_id, first.user_id, result,
                          figures.plain({"window": window, "metrics": {}, "annual": annual}),
                          figures.plain({"indicators": [], "annual": annual, "categories": {},
                                  "bonus": 0, "deduction": 0, "bonus_lines": [],
                                  "deduction_lines": []}), version_id))
    return out


def _current(period: str, key: str) -> Optional[ScoreResult]:
    return db.session.scalar(select(ScoreResult).where(
        ScoreResult.period == period, ScoreResult.subject_key == key)
        .order_by(ScoreResult.version.desc()).limit(1))


def _payload(s: Scored) -> dict:
    r = s.result
    return {"scheme_version_id": s.version_id, "score": r.score, "raw": str(r.raw),
            "grade": r.grade, "vetoed": r.vetoed, "rank": s.rank, "advanced": s.advanced,
            "inputs": s.figures, "lines": s.lines}


def _same(row: ScoreResult, payload: dict) -> bool:
    return all((Decimal(getattr(row, k)) == v) if k == "score" else getattr(row, k) == v
               for k, v in payload.items())


_COMPARED = ("scheme_version_id", "score", "raw", "grade", "vetoed", "rank", "advanced", "inputs",
             "lines")


def _current_rows(period: str, keys: set[str]) -> dict:
    """subject key → its latest result of the period: a row of the columns :func:`_store`
    reads (one query for all subjects, no ORM object: most runs change nothing)."""
    rows = db.session.execute(
        select(ScoreResult.id, ScoreResult.subject_key, ScoreResult.version, ScoreResult.status,
               *[getattr(ScoreResult, name) for name in _COMPARED])
        .where(ScoreResult.period == period).order_by(ScoreResult.version))
    return {row.subject_key: row for row in rows if row.subject_key in keys}


def _writes(row, same: bool, status: ResultStatus, correction: Optional[str]) -> bool:
    """Whether :func:`_store` changes the stored result (``row``, its Core row)."""
    if row.status == ResultStatus.final:
        return bool(correction) and not same
    return not same or status == ResultStatus.final or (
        status == ResultStatus.published and row.status != ResultStatus.published)


def _store_all(period: Period, scored: list[Scored], status: ResultStatus, today: dt.date,
               correction: Optional[str], summary: RunSummary) -> None:
    """Store a scheme's results: the subjects without a result yet get a provisional one
    (INSERT … ON CONFLICT DO NOTHING, all at once), then each is updated as :func:`_store`
    says (the results it changes loaded in one query)."""
    if not scored:
        return
    if status != ResultStatus.final:
        correction = None  # only an ended (final) period is corrected by a new version
    keys = {s.key for s in scored}
    current = _current_rows(period.text, keys)
    missing = [s for s in scored if s.key not in current]
    if missing:
        now = utcnow()
        insert_ignore_many(ScoreResult, [dict(
            period=period.text, subject_key=s.key, unit_id=s.unit_id, user_id=s.user_id,
            version=1, status=ResultStatus.provisional.value, is_current=True, computed_at=now,
            **_payload(s)) for s in missing])
        summary.changed += len(missing)
        current = _current_rows(period.text, keys)
    plans = []
    for s in scored:
        payload = _payload(s)
        row = current[s.key]
        plans.append((s, row, payload, _same(row, payload)))
    ids = [row.id for _s, row, _p, same in plans if _writes(row, same, status, correction)]
    loaded = {r.id: r for r in db.session.scalars(
        select(ScoreResult).where(ScoreResult.id.in_(ids)))} if ids else {}
    objection_due_on = today + dt.timedelta(days=settings.get(
        "assessment.objection_days")) if status == ResultStatus.published else None
    for s, row, payload, same in plans:
        _store(period, s, loaded.get(row.id, row), payload, same, status, objection_due_on,
               correction, summary)
        summary.scored += 1


def _store(period: Period, s: Scored, row, payload: dict, same: bool, status: ResultStatus,
           objection_due_on: Optional[dt.date], correction: Optional[str],
           summary: RunSummary) -> None:
    """Apply one subject's result to its stored one (``row``: the ORM object when
    :func:`_writes` says it changes, else the Core row)."""
    if row.status == ResultStatus.final:
        if correction and not same:
            row.is_current = False
            db.session.add(ScoreResult(
                period=period.text, subject_key=s.key, unit_id=s.unit_id, user_id=s.user_id,
                version=row.version + 1, status=ResultStatus.final, is_current=True,
                finalized_at=utcnow(), correction_reason=correction, **payload))
            summary.changed += 1
        else:
            summary.skipped_final += 1
        return
    if not same:
        for k, v in payload.items():
            setattr(row, k, v)
        row.computed_at = utcnow()
        summary.changed += 1
    if status == ResultStatus.published and row.status != ResultStatus.published:
        row.status, row.objection_due_on = ResultStatus.published, objection_due_on
    if status == ResultStatus.final:
        row.status, row.finalized_at = ResultStatus.final, utcnow()
        summary.frozen += 1


def assess(period_text: str, *, final: bool = False, today: Optional[dt.date] = None,
           actor=None, correction: Optional[str] = None) -> RunSummary:
    """Score every assessed unit and officer for the period and store the results (flushes)."""
    period = parse_period(period_text)
    today = today or local_today()
    ensure_seeded()
    schemes_in_use: dict[int, tuple] = {}
    for subject, scheme in assignments().items():
        schemes_in_use.setdefault(scheme.id, (scheme, []))[1].append(subject)
    versions = {sid: version_in_force(scheme, period.span()[0])
                for sid, (scheme, _k) in schemes_in_use.items()}
    ends = {sid: period.span(version.data.get("year_starts"))[1]
            for sid, version in versions.items()}
    if final or correction:
        # A scheme whose year runs differently (officers: to 30 November) may have ended while
        # the calendar period has not: only the ended ones are frozen.
        if all(end >= today for end in ends.values()):
            raise DomainError(_l("%(period)s has not ended yet: it cannot be final.",
                                 period=period.text), field="period")
        pending = db.session.scalar(select(ScoreObjection.id).join(ScoreResult).where(
            ScoreResult.period == period.text, ScoreObjection.status == ObjectionStatus.pending)
            .limit(1))
        if pending is not None:
            raise DomainError(_l("%(period)s has objections waiting for a decision.",
                                 period=period.text), field="period")
    summary = RunSummary(period.text)
    for scheme, kinds in schemes_in_use.values():
        end = ends[scheme.id]
        status = ResultStatus.published if end < today else ResultStatus.provisional
        if (final or correction) and end < today:
            status = ResultStatus.final
        scored = _score_scheme(scheme, period, today, [k for k in kinds if k != "officer"],
                               versions[scheme.id])
        if scored:
            summary.schemes.append(scheme.code)
        _store_all(period, scored, status, today, correction, summary)
    db.session.flush()
    if actor is not None or final or correction:
        audit.record("assessment.run", actor=actor, object_type="assessment_period",
                     object_id=period.text, detail={"final": final, "scored": summary.scored,
                                                    "changed": summary.changed,
                                                    "correction": correction})
    return summary
