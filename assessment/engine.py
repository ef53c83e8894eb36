"""The scoring engine of the target-management assessment (目标管理考核): pure functions over a
scheme (plain data, see ``schemes``) and the inputs of one subject for one period.

No database and no Flask here. Exact ``Decimal`` arithmetic throughout; only the final score is
rounded (one decimal, half up) and the grade is read from the rounded score.

Scheme shape (every key is data; see ``schemes.UNIT_DEFAULT`` for a full example)::

    {"base": 0,                      # the officer scheme starts at 100
     "categories": [
        {"code", "name", "points", "weight"?,        # weight: contributes points × weight / points
         "indicators": [{"code", "name", "kind": "pro_rata" | "deduction" | "survey" | "manual",
                         "max", "metric"?, "target"?, "per_item"?, "ratings"?, "min_respondents"?}]},
        {"code", "name", "cap", "kind": "deductions",   # officer style: capped deductions
         "items": [{"code", "name", "points", "metric"?}]}],
     "overachievement": {"over": "0.10", "points": 2, "max_share": "0.30"},
     "bonus": {"cap": 4, "items": [{"code", "name", "levels": {...}} | {"code", "name", "points"}]},
     "deductions": {"cap": 4, "items": [...]},
     "vetoes": [{"code", "name"}],
     "grades": [{"code", "min", "requires_no_veto"?}],   # highest first; the last is the lowest
     "advanced": {"share": "0.25", "min_score": 90}}
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Optional

ZERO, ONE = Decimal(0), Decimal(1)
TENTH = Decimal("0.1")


def D(value: Any) -> Decimal:
    """A Decimal from a scheme or input value (str/int/Decimal; floats through their text)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value if value is not None else 0)


@dataclass(frozen=True)
class Ratio:
    """A metric as numerator / denominator (a rate) or a plain count (denominator None)."""

    numerator: Decimal
    denominator: Optional[Decimal] = None

    @property
    def applicable(self) -> bool:
        return self.denominator is None or self.denominator != 0

    @property
    def value(self) -> Decimal:
        if self.denominator is None:
            return self.numerator
        return self.numerator / self.denominator if self.denominator else ONE


@dataclass(frozen=True)
class Event:
    """A bonus, deduction or officer deduction event. ``work`` groups commendations for the same
    work (only the highest level counts); ``event`` groups deduction items one incident matched
    (only the highest applies)."""

    item: str
    level: Optional[str] = None
    count: int = 1
    work: Optional[str] = None
    event: Optional[str] = None
    note: str = ""


@dataclass
class Inputs:
    metrics: dict[str, Ratio] = field(default_factory=dict)
    targets: dict[str, Decimal] = field(default_factory=dict)  # per-subject targets by indicator
    manual: dict[str, Decimal] = field(default_factory=dict)
    surveys: dict[str, dict[str, int]] = field(default_factory=dict)  # indicator → rating → n
    bonus: list[Event] = field(default_factory=list)
    deductions: list[Event] = field(default_factory=list)
    vetoes: list[str] = field(default_factory=list)


@dataclass
class Line:
    category: str
    code: str
    kind: str
    points: Decimal
    max: Decimal
    actual: Optional[Decimal] = None
    target: Optional[Decimal] = None
    formula: str = ""
    applicable: bool = True
    entered: bool = True


@dataclass
class Result:
    score: Decimal            # rounded, one decimal, half up
    raw: Decimal
    grade: str
    vetoed: bool
    lines: list[Line]
    categories: dict[str, Decimal]
    bonus: Decimal
    deduction: Decimal
    bonus_lines: list[tuple[str, Decimal]]
    deduction_lines: list[tuple[str, Decimal]]


class SchemeError(ValueError):
    """The scheme data is not valid; ``errors`` lists every problem by path."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


# Indicators ------------------------------------------------------------------------------------

def pro_rata(max_points: Decimal, actual: Decimal, target: Decimal) -> Decimal:
    """``max × min(1, actual / target)``; a zero target scores full."""
    if target <= 0:
        return max_points
    return max_points * min(ONE, actual / target) if actual > 0 else ZERO


def deduction(max_points: Decimal, per_item: Decimal, count: Decimal) -> Decimal:
    """``max(0, max − per_item × count)``: a deduction stops at the indicator's points."""
    return max(ZERO, max_points - per_item * count)


def survey(max_points: Decimal, ratings: dict[str, Any], counts: dict[str, int],
           min_respondents: int) -> Optional[Decimal]:
    """Weighted ratings averaged over respondents; None when fewer than the minimum answered."""
    total = sum(int(counts.get(name, 0)) for name in ratings)
    if total < min_respondents or total == 0:
        return None
    weighted = sum(D(weight) * int(counts.get(name, 0)) for name, weight in ratings.items())
    return max_points * weighted / total


def _indicator(category: str, spec: dict, inputs: Inputs) -> Line:
    code, kind, max_points = spec["code"], spec["kind"], D(spec["max"])
    if kind == "pro_rata":
        metric = inputs.metrics.get(spec.get("metric", code), Ratio(ZERO))
        target = D(inputs.targets.get(code, spec.get("target", 0)))
        if not metric.applicable:
            return Line(category, code, kind, max_points, max_points, None, target,
                        "no denominator: full points", applicable=False)
        actual = metric.value
        return Line(category, code, kind, pro_rata(max_points, actual, target), max_points,
                    actual, target, f"{max_points} × min(1, {actual} / {target})")
    if kind == "deduction":
        count = inputs.metrics.get(spec.get("metric", code), Ratio(ZERO)).value
        per_item = D(spec["per_item"])
        return Line(category, code, kind, deduction(max_points, per_item, count), max_points,
                    count, None, f"max(0, {max_points} − {per_item} × {count})")
    if kind == "survey":
        counts = inputs.surveys.get(code)
        points = survey(max_points, spec["ratings"], counts or {},
                        int(spec.get("min_respondents", 1))) if counts else None
        if points is None:
            return Line(category, code, kind, ZERO, max_points, None, None,
                        "survey not entered or too few respondents", entered=False)
        return Line(category, code, kind, points, max_points, None, None,
                    f"{max_points} × weighted ratings")
    if kind == "manual":
        if code not in inputs.manual:
            return Line(category, code, kind, ZERO, max_points, None, None, "not entered",
                        entered=False)
        return Line(category, code, kind, min(max_points, max(ZERO, D(inputs.manual[code]))),
                    max_points, None, None, "entered with evidence")
    raise SchemeError([f"{category}.{code}: unknown kind {kind!r}"])


def _overachievement(scheme: dict, lines: list[Line]) -> list[tuple[str, Decimal]]:
    rule = scheme.get("overachievement")
    if not rule:
        return []
    over, each, share = D(rule["over"]), D(rule["points"]), D(rule["max_share"])
    out = []
    for line in lines:
        if line.kind == "pro_rata" and line.applicable and line.target and line.target > 0 \
                and line.actual is not None and line.actual >= line.target * (ONE + over):
            out.append((f"overachievement:{line.code}", min(each, line.max * share)))
    return out


def _item_points(items: dict[str, dict], event: Event) -> Decimal:
    spec = items.get(event.item)
    if spec is None:
        raise SchemeError([f"unknown item {event.item!r}"])
    if "levels" in spec:
        if event.level not in spec["levels"]:
            raise SchemeError([f"{event.item}: unknown level {event.level!r}"])
        return D(spec["levels"][event.level])
    return D(spec["points"])


def _bonus(scheme: dict, events: Iterable[Event]) -> list[tuple[str, Decimal]]:
    """Commendations by level; for the same work only the highest level counts."""
    items = {i["code"]: i for i in scheme.get("bonus", {}).get("items", [])}
    best: dict[str, tuple[str, Decimal]] = {}
    out = []
    for n, event in enumerate(events):
        points = _item_points(items, event) * event.count
        key = event.work or f"#{n}"
        label = f"{event.item}:{event.level}" if event.level else event.item
        if event.work is None:
            out.append((label, points))
        elif key not in best or points > best[key][1]:
            best[key] = (label, points)
    return out + list(best.values())


def _highest_per_event(items: dict, events: Iterable[Event]) -> list[tuple[str, Decimal, Event]]:
    """Deduction events; when one incident matched several items, only the highest applies."""
    best: dict[str, tuple[str, Decimal, Event]] = {}
    out = []
    for event in events:
        points = _item_points(items, event) * event.count
        label = f"{event.item}:{event.level}" if event.level else event.item
        if event.event is None:
            out.append((label, points, event))
        elif event.event not in best or points > best[event.event][1]:
            best[event.event] = (label, points, event)
    return out + list(best.values())


def _deduction_category(category: dict, inputs: Inputs) -> tuple[Decimal, list[Line]]:
    """An officer-style category: each item per occurrence (from metrics or events), capped."""
    items = {i["code"]: i for i in category["items"]}
    events = [e for e in inputs.deductions if e.item in items]
    for code, spec in items.items():
        metric = spec.get("metric")
        if metric and metric in inputs.metrics:
            count = int(inputs.metrics[metric].value)
            if count:
                events.append(Event(item=code, count=count))
    lines, total = [], ZERO
    for label, points, _event in _highest_per_event(items, events):
        lines.append(Line(category["code"], label, "deduction_item", -points, ZERO))
        total += points
    cap = D(category["cap"])
    return -min(cap, total), lines


# The whole score ---------------------------------------------------------------------------

def grade_of(scheme: dict, score: Decimal, vetoed: bool) -> str:
    grades = scheme["grades"]
    if vetoed:
        return grades[-1]["code"]
    for grade in grades:
        if grade.get("min") is None or score >= D(grade["min"]):
            if grade.get("requires_no_veto") and vetoed:
                continue
            return grade["code"]
    return grades[-1]["code"]


def round_score(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def score(scheme: dict, inputs: Inputs) -> Result:
    """Score one subject for one period."""
    lines: list[Line] = []
    categories: dict[str, Decimal] = {}
    total = D(scheme.get("base", 0))
    for category in scheme["categories"]:
        if category.get("kind") == "deductions":
            contribution, cat_lines = _deduction_category(category, inputs)
        else:
            cat_lines = [_indicator(category["code"], spec, inputs)
                         for spec in category["indicators"]]
            contribution = sum((line.points for line in cat_lines), ZERO)
            if category.get("weight") is not None:
                contribution = contribution * D(category["weight"]) / D(category["points"]) \
                    * D(scheme.get("weighted_total", 100))
        lines.extend(cat_lines)
        categories[category["code"]] = contribution
        total += contribution
    bonus_lines = _overachievement(scheme, lines) + _bonus(scheme, inputs.bonus)
    bonus_cap = scheme.get("bonus", {}).get("cap")
    bonus = sum((p for _l, p in bonus_lines), ZERO)
    if bonus_cap is not None:
        bonus = min(bonus, D(bonus_cap))
    deduction_items = {i["code"]: i for i in scheme.get("deductions", {}).get("items", [])}
    deduction_lines = [(label, points) for label, points, _e in _highest_per_event(
        deduction_items, [e for e in inputs.deductions if e.item in deduction_items])]
    deduction_total = sum((p for _l, p in deduction_lines), ZERO)
    deduction_cap = scheme.get("deductions", {}).get("cap")
    if deduction_cap is not None:
        deduction_total = min(deduction_total, D(deduction_cap))
    veto_codes = {v["code"] for v in scheme.get("vetoes", [])}
    unknown = [v for v in inputs.vetoes if v not in veto_codes]
    if unknown:
        raise SchemeError([f"unknown veto event {v!r}" for v in unknown])
    vetoed = bool(inputs.vetoes)
    raw = total + bonus - deduction_total
    rounded = round_score(raw)
    return Result(score=rounded, raw=raw, grade=grade_of(scheme, rounded, vetoed),
                  vetoed=vetoed, lines=lines, categories=categories, bonus=bonus,
                  deduction=deduction_total, bonus_lines=bonus_lines,
                  deduction_lines=deduction_lines)


def combine(parts: list[tuple[Decimal, Decimal]]) -> Decimal:
    """A weighted combination of period scores (the annual rule: 50 % H1 + 50 % H2)."""
    return round_score(sum((D(score) * D(weight) for score, weight in parts), ZERO))


def advanced(scheme: dict, ranked: list[tuple[str, Decimal, bool]]) -> set[str]:
    """The advanced units: at most ``share`` of the assessed (rounded down, at least one), with
    a score of at least ``min_score`` and no veto, in rank order. ``ranked``: (code, score, veto)."""
    rule = scheme.get("advanced")
    if not rule or not ranked:
        return set()
    quota = max(1, int((D(rule["share"]) * len(ranked)).to_integral_value(rounding=ROUND_DOWN)))
    ordered = sorted(ranked, key=lambda r: (-r[1], r[0]))
    chosen = [code for code, value, veto in ordered
              if not veto and value >= D(rule["min_score"])]
    return set(chosen[:quota])


def rank(results: dict[str, Decimal]) -> dict[str, int]:
    """Competition ranking (1, 2, 2, 4) by score, highest first."""
    ordered = sorted(results.items(), key=lambda kv: -kv[1])
    out, previous, position = {}, None, 0
    for index, (code, value) in enumerate(ordered, start=1):
        if value != previous:
            position, previous = index, value
        out[code] = position
    return out
