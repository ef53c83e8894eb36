"""Nomination rules (domain.md §6.2) as configuration data, and the pure functions that apply them.

A rule is a dict in the setting ``blacklist.rules``::

    {"code": "repeat_decisions", "enabled": true, "subjects": ["vehicle", "person"],
     "min_cases": 2, "window_months": 12, "serious": false, "list": "blacklist"}

``code`` names what the rule looks at (one of :data:`KINDS`); the numbers are its parameters.
The database part (``blacklist.nomination``) fetches the decided cases each rule may look at; the
functions here decide, from those rows alone, who is nominated for which facts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from core import settings

DEFAULT_RULES = [
    {"code": "repeat_decisions", "enabled": True, "subjects": ["vehicle", "person"],
     "min_cases": 2, "window_months": 12, "serious": False, "list": "blacklist"},
    {"code": "fake_plate", "enabled": True, "subjects": ["vehicle"], "min_cases": 1,
     "window_months": 12, "serious": True, "list": "blacklist"},
    {"code": "violent_resistance", "enabled": True, "subjects": ["person"], "min_cases": 1,
     "window_months": 12, "serious": True, "list": "blacklist"},
    {"code": "refused_penalty", "enabled": True, "subjects": ["person", "vehicle"],
     "min_cases": 1, "window_months": 24, "overdue_days": 30, "serious": False,
     "list": "blacklist"},
    {"code": "organiser", "enabled": True, "subjects": ["person"], "min_cases": 1,
     "window_months": 24, "serious": True, "list": "blacklist"},
    # off by default (§6.2 lists the five above); a city that keeps a focused-attention list of
    # every penalised offender turns it on
    {"code": "single_decision", "enabled": False, "subjects": ["vehicle", "person"],
     "min_cases": 1, "window_months": 12, "serious": False, "list": "attention"},
]
KINDS = frozenset(r["code"] for r in DEFAULT_RULES)

RULE_LABELS = {
    "repeat_decisions": _l("Two or more penalty decisions for illegal operation within the "
                           "window"),
    "fake_plate": _l("Fake or cloned plate"),
    "violent_resistance": _l("Violent resistance to enforcement"),
    "refused_penalty": _l("Refused to carry out a penalty decision past its deadline"),
    "organiser": _l("Organiser of an illegal-operation group"),
    "single_decision": _l("A penalty decision below the blacklist threshold"),
    "manual": _l("Nominated by a unit"),
}

settings.define("blacklist.rules", DEFAULT_RULES, "nomination rules run nightly (§6.2)",
                kind=list, minimum=None)
settings.define("blacklist.violent_resistance_codes", ["GA-KF"], "violation codes of violent "
                "resistance to enforcement", kind=list, minimum=None)
settings.define("blacklist.fake_plate_codes", ["GA-JP"], "violation codes of fake or cloned "
                "plates", kind=list, minimum=None)
settings.define("blacklist.illegal_operation_codes", ["FY-KY", "FY-CZ", "FY-WY", "FY-MT",
                                                      "FY-DB", "FY-ZL"],
                "violation codes counted as illegal operation", kind=list, minimum=None)


def rule_label(code: str) -> str:
    return str(RULE_LABELS.get(code, code))


@dataclass(frozen=True)
class CaseRow:
    """One decided case as a rule sees it, for one subject it names."""

    case_id: int
    unit_id: int
    decided_on: dt.date
    subject_kind: str  # vehicle | person
    subject_id: int
    violation_code: str = ""
    is_fake_plate: bool = False
    party_role: str = ""
    paid_on: dt.date | None = None
    executed: bool = False


@dataclass(frozen=True)
class Nomination:
    """What a rule found: a subject, the cases that are the facts, the unit that nominates."""

    rule_code: str
    list_kind: str
    subject_kind: str
    subject_id: int
    case_ids: tuple[int, ...]
    unit_id: int
    is_serious: bool
    facts_key: str = field(default="")


def facts_key(case_ids) -> str:
    """The facts of a nomination, as a key: the same cases give the same key."""
    text = ",".join(str(i) for i in sorted(set(case_ids)))
    return hashlib.sha256(text.encode()).hexdigest()


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the last day of the month when it does not exist)."""
    return add_months(day, -months)


def add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def case_matches(rule: dict, row: CaseRow, today: dt.date, codes: dict) -> bool:
    """Whether one case counts for ``rule`` (pure)."""
    if row.decided_on < months_before(today, int(rule.get("window_months", 12))):
        return False
    code = rule["code"]
    if code in ("repeat_decisions", "single_decision"):
        return row.violation_code in codes["illegal_operation"]
    if code == "fake_plate":
        return row.is_fake_plate or row.violation_code in codes["fake_plate"]
    if code == "violent_resistance":
        return row.violation_code in codes["violent_resistance"]
    if code == "organiser":
        return row.party_role == "organiser"
    if code == "refused_penalty":
        overdue = dt.timedelta(days=int(rule.get("overdue_days", 30)))
        return row.paid_on is None and not row.executed and row.decided_on + overdue < today
    return False


def evaluate(rule: dict, rows: list[CaseRow], today: dt.date, codes: dict) -> list[Nomination]:
    """The nominations ``rule`` makes from ``rows`` (pure: no database)."""
    if not rule.get("enabled", True) or rule.get("code") not in KINDS:
        return []
    subjects = set(rule.get("subjects", ["vehicle", "person"]))
    minimum = max(int(rule.get("min_cases", 1)), 1)
    grouped: dict[tuple[str, int], list[CaseRow]] = defaultdict(list)
    for row in rows:
        if row.subject_kind in subjects and case_matches(rule, row, today, codes):
            grouped[(row.subject_kind, row.subject_id)].append(row)
    found = []
    for (kind, subject_id), matched in sorted(grouped.items()):
        case_ids = tuple(sorted({r.case_id for r in matched}))
        if len(case_ids) < minimum:
            continue
        latest = max(matched, key=lambda r: (r.decided_on, r.case_id))
        found.append(Nomination(rule_code=rule["code"], list_kind=rule.get("list", "blacklist"),
                                subject_kind=kind, subject_id=subject_id, case_ids=case_ids,
                                unit_id=latest.unit_id, is_serious=bool(rule.get("serious")),
                                facts_key=facts_key(case_ids)))
    return found


def evaluate_all(rules: list[dict], rows: list[CaseRow], today: dt.date,
                 codes: dict) -> list[Nomination]:
    """Every rule's nominations; a subject that a blacklist rule nominates is not also put on
    the attention list for the same run."""
    return prefer_blacklist([n for rule in rules for n in evaluate(rule, rows, today, codes)])


def prefer_blacklist(found: list[Nomination]) -> list[Nomination]:
    """Drop attention-list nominations of subjects a blacklist rule nominates in the same run."""
    on_blacklist = {(n.subject_kind, n.subject_id) for n in found if n.list_kind == "blacklist"}
    return [n for n in found if n.list_kind == "blacklist"
            or (n.subject_kind, n.subject_id) not in on_blacklist]
