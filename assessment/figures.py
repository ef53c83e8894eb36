"""What a result stores of its inputs and of its lines: plain JSON data, a Decimal as its text.
Built directly for every subject of a run (no recursive walk over every line); :func:`plain`
is the rule, the builders give the same data."""
from __future__ import annotations

from decimal import Decimal

from assessment import engine, metrics


def plain(value):
    """``value`` as JSON data: Decimals as their text, tuples as lists, keys as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def scalar(value):
    """:func:`plain` of a value that is no container."""
    return str(value) if isinstance(value, Decimal) else value


def of_inputs(inputs: engine.Inputs, window: metrics.Window) -> dict:
    """The figures a result was computed from (the window, metrics, targets and entries)."""
    return {
        "window": [window.start.isoformat(), window.end.isoformat(), window.as_of.isoformat()],
        "metrics": {str(k): [scalar(v.numerator), scalar(v.denominator)]
                    for k, v in sorted(inputs.metrics.items())},
        "targets": {str(k): scalar(v) for k, v in sorted(inputs.targets.items())},
        "manual": {str(k): scalar(v) for k, v in inputs.manual.items()},
        "surveys": plain(inputs.surveys),
        "bonus": plain([[e.item, e.level, e.count, e.work] for e in inputs.bonus]),
        "deductions": plain([[e.item, e.level, e.count, e.event] for e in inputs.deductions]),
        "vetoes": plain(inputs.vetoes)}


def specs_of(data: dict) -> dict[str, dict]:
    """indicator or item code → its spec in the scheme."""
    specs = {}
    for category in data["categories"]:
        for spec in category.get("indicators", []) + category.get("items", []):
            specs[spec["code"]] = spec
    return specs


class Lines:
    """A scheme's results' lines. The fields a line takes from the scheme (name, metric) are
    made once per line code, not per subject; the engine's numbers are Decimals (or None), its
    texts and flags plain already."""

    def __init__(self, data: dict):
        self.specs = specs_of(data)
        self.heads: dict[tuple, dict] = {}  # (category, code, kind) → the scheme's fields

    def _head(self, ln: engine.Line) -> dict:
        key = (ln.category, ln.code, ln.kind)
        head = self.heads.get(key)
        if head is None:
            specs = self.specs
            head = self.heads[key] = {
                "category": scalar(ln.category), "code": scalar(ln.code),
                "kind": scalar(ln.kind),
                "name": plain(specs.get(ln.code.split(":")[0], {}).get("name", ln.code)),
                "metric": plain(specs.get(ln.code, {}).get("metric"))}
        return head

    def __call__(self, result: engine.Result) -> dict:
        heads, indicators = self.heads, []
        for ln in result.lines:
            head = heads.get((ln.category, ln.code, ln.kind)) or self._head(ln)
            points, top, actual, target = ln.points, ln.max, ln.actual, ln.target
            indicators.append({
                **head,
                "points": str(points) if isinstance(points, Decimal) else points,
                "max": str(top) if isinstance(top, Decimal) else top,
                "actual": str(actual) if isinstance(actual, Decimal) else actual,
                "target": str(target) if isinstance(target, Decimal) else target,
                "formula": ln.formula, "applicable": ln.applicable, "entered": ln.entered})
        return {
            "indicators": indicators, "categories": plain(result.categories),
            "bonus": scalar(result.bonus), "deduction": scalar(result.deduction),
            "bonus_lines": plain(result.bonus_lines),
            "deduction_lines": plain(result.deduction_lines)}
