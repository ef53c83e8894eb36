"""Demo data of the assessment: common-work entries with evidence for the past twelve months,
a commendation, a criticism and one veto, scores for each month (frozen except the last), and
objections to last month's published result, one accepted and one rejected."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from assessment import scoring, services
from assessment.models import ScoreResult
from assessment.periods import of_kind
from assessment.schemes_store import assignments, seed_schemes
from core import audit
from core.base import local_today
from core.models import Unit, User
from extensions import db


def _months(today: dt.date, n: int):
    first = today.replace(day=1)
    out = []
    for _ in range(n):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        out.append(of_kind("month", first))
    return list(reversed(out))


def _entry(out, unit, period, kind, item, n, **kw):
    """Queue one manual input; a month's inputs are stored together by ``add_entries``."""
    out.append((unit, None, services.EntryInput(
        period=period.text, kind=kind, item=item, document_no=f"渝考〔{period.year}〕{n}号",
        document_date=period.span()[1], **kw)))


def _common_work(rng, out, unit, period, n):
    for item in ("lawful_administration", "case_file_review", "leadership_evaluation"):
        _entry(out, unit, period, "score", item, n, value=str(rng.choice([3.5, 4, 4.5, 5])))
    total = rng.randint(40, 60)
    satisfied = rng.randint(total // 2, total)
    _entry(out, unit, period, "survey", "public_satisfaction", n,
           counts={"satisfied": satisfied, "basic": total - satisfied})


def _units(kinds: list[str]) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind.in_(kinds),
                                                      Unit.is_active.is_(True))))


def load_demo(seed: int) -> str:
    """Commits its work; does nothing when results exist already."""
    with audit.batch():
        return _load(seed)


def _load(seed: int) -> str:
    if db.session.scalar(select(ScoreResult.id).limit(1)) is not None:
        return "already present"
    seed_schemes()
    actor = db.session.scalar(select(User).where(User.username == "city"))
    leader = db.session.scalar(select(User).where(User.username == "yubei"))
    if actor is None:
        return "no city office user: skipped"
    rng = random.Random(f"assessment-{seed}")
    kinds = [k for k, s in assignments().items() if k != "officer"
             and s.code == "unit_default"]
    units = _units(kinds)
    today = local_today()
    months = _months(today, 12)
    n = 0
    for index, period in enumerate(months):
        if index:
            _units(kinds)  # the units expired by the commit, reloaded in one query, not one each
        month: list = []
        for unit in units:
            n += 1
            _common_work(rng, month, unit, period, n)
        if units and index % 3 == 1:
            _entry(month, rng.choice(units), period, "bonus", "gov_commendation", n,
                   level="city", reason="打击非法营运工作成绩突出")
        if units and index % 4 == 2:
            _entry(month, rng.choice(units), period, "deduction", "criticism", n,
                   level="city", reason="督查发现问题未按期整改")
        if units and index == 7:
            _entry(month, units[-1], period, "veto", "mass_incident", n,
                   reason="执法现场引发群体性事件")
        services.add_entries(actor=actor, items=month)
        last = index == len(months) - 1
        scoring.assess(period.text, today=today, final=not last)
        db.session.commit()
    last = months[-1]
    results = list(db.session.scalars(select(ScoreResult).where(
        ScoreResult.period == last.text, ScoreResult.user_id.is_(None)).order_by(
        ScoreResult.id).limit(2)))
    objections = 0
    if leader is not None and results:
        first = services.raise_objection(actor=leader, result=results[0],
                                         indicator_code="joint_patrols",
                                         reason="部分联合巡查未录入系统，已补充记录", today=today)
        services.decide_objection(actor=actor, objection=first, accept=True,
                                  reason="核实巡查台账，予以更正", corrected_value="8",
                                  today=today)
        second = services.raise_objection(actor=leader, result=results[-1],
                                          indicator_code="follow_up_tasks",
                                          reason="督办事项逾期系客观原因", today=today)
        services.decide_objection(actor=actor, objection=second, accept=False,
                                  reason="未在期限内申请延期，维持原评分", today=today)
        objections = 2
    scoring.assess(of_kind("year", today, "12-01").text, today=today)
    db.session.commit()
    return f"{len(months)} months scored for {len(units)} units, {objections} objections"
