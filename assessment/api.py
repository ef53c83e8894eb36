"""Assessments in the API (interfaces.md): ``GET /api/v1/assessments?period=`` and
``GET /api/v1/assessments/{unit_code}?period=``."""
from __future__ import annotations

from flask import abort
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from assessment import queries
from assessment.periods import parse_period
from core.models import Unit
from core.permissions import current_actor, guard
from extensions import csrf, db

blp = Blueprint("assessments_api", __name__, url_prefix="/api/v1/assessments",
                description="Assessment scores of units in scope, and their breakdown")


class PeriodArgs(Schema):
    period = fields.String(required=True)


class ResultOut(Schema):
    unit = fields.Function(lambda r: r.unit.code)
    unit_name = fields.Function(lambda r: r.unit.name)
    period = fields.String()
    score = fields.Decimal(as_string=True)
    grade = fields.String()
    rank = fields.Integer(allow_none=True)
    advanced = fields.Boolean()
    vetoed = fields.Boolean()
    final = fields.Function(lambda r: r.status.value == "final")
    status = fields.Function(lambda r: r.status.value)
    version = fields.Integer()
    scheme = fields.Function(lambda r: r.scheme_version.scheme.code)
    scheme_version = fields.Function(lambda r: r.scheme_version.version)


class LineOut(Schema):
    category = fields.String()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    metric = fields.String(allow_none=True)
    actual = fields.String(allow_none=True)
    target = fields.String(allow_none=True)
    formula = fields.String()
    points = fields.String()
    max = fields.String()
    applicable = fields.Boolean()
    entered = fields.Boolean()


class BreakdownOut(ResultOut):
    raw = fields.String()
    indicators = fields.Function(lambda r: LineOut(many=True).dump(
        r.lines.get("indicators", [])))
    categories = fields.Function(lambda r: r.lines.get("categories", {}))
    bonus = fields.Function(lambda r: r.lines.get("bonus"))
    deduction = fields.Function(lambda r: r.lines.get("deduction"))
    bonus_lines = fields.Function(lambda r: r.lines.get("bonus_lines", []))
    deduction_lines = fields.Function(lambda r: r.lines.get("deduction_lines", []))
    inputs = fields.Function(lambda r: r.inputs)


class ResultList(Schema):
    period = fields.String()
    items = fields.List(fields.Nested(ResultOut))


@blp.route("", methods=["GET"])
@guard()
@blp.arguments(PeriodArgs, location="query", as_kwargs=True)
@blp.response(200, ResultList)
def list_assessments(period):
    """Scores of the units in scope for the period, best first."""
    text = parse_period(period).text
    return {"period": text,
            "items": list(db.session.scalars(queries.unit_results(current_actor(), text)))}


@blp.route("/<unit_code>", methods=["GET"])
@guard(model=Unit, param="unit_code", by="code")
@blp.arguments(PeriodArgs, location="query", as_kwargs=True)
@blp.response(200, BreakdownOut)
def get_assessment(unit: Unit, period):
    """The per-indicator breakdown of the unit's current result for the period."""
    result = db.session.scalar(queries.current_result(parse_period(period).text, f"u{unit.id}"))
    if result is None:
        abort(404)
    return result


def init_app(api) -> None:
    api.register_blueprint(blp)
    csrf.exempt(blp)
