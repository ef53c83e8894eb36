"""Schemas of the joint-actions API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.schemas import PageArgs
from enforcement.joint import rules
from enforcement.joint.models import ActionKind, ActionStatus


class ActionQueryArgs(PageArgs):
    month = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    kind = fields.Enum(ActionKind, by_value=True, load_default=None)
    status = fields.Enum(ActionStatus, by_value=True, load_default=None)


class ParticipantSchema(Schema):
    unit_code = fields.String(required=True)
    headcount = fields.Integer(required=True, strict=True)
    department = fields.String(load_default=None)


class PhaseSchema(Schema):
    kind = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class AreaSchema(Schema):
    zone_id = fields.Integer(load_default=None)
    geojson = fields.Dict(load_default=None)
    name = fields.String(load_default="", validate=validate.Length(max=120))


class ActionIn(Schema):
    kind = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    planned_start = fields.AwareDateTime(required=True)
    planned_end = fields.AwareDateTime(required=True)
    description = fields.String(load_default="")
    host_unit_code = fields.String(load_default=None)
    participants = fields.List(fields.Nested(ParticipantSchema), load_default=list)
    phases = fields.List(fields.Nested(PhaseSchema), load_default=list)
    areas = fields.List(fields.Nested(AreaSchema), load_default=list)


class ParticipantOut(Schema):
    unit_code = fields.Function(lambda p: p.unit.code)
    department = fields.Function(lambda p: p.department.value)
    headcount = fields.Integer()


class ActionOut(Schema):
    id = fields.Integer()
    kind = fields.Function(lambda a: a.kind.value)
    status = fields.Function(lambda a: a.status.value)
    name = fields.String()
    unit_code = fields.Function(lambda a: a.unit.code)
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    actual_start = fields.DateTime(allow_none=True)
    actual_end = fields.DateTime(allow_none=True)
    participants = fields.List(fields.Nested(ParticipantOut))
    vehicles_checked = fields.Integer()
    vehicles_detained = fields.Integer()
    fines = fields.Function(lambda a: format(a.fines, ".2f"))
    violent_incidents = fields.Integer()
    media_reports = fields.Integer()
    breaches = fields.Function(lambda a: [{"rule": b.rule, "detail": b.detail,
                                           "message": rules.describe(b.rule, b.detail)}
                                          for b in a.breaches])


class ActionPage(Schema):
    items = fields.List(fields.Nested(ActionOut))
    next_cursor = fields.String(allow_none=True)
