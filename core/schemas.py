"""Marshmallow schemas of the core API (units)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.forms import UNIT_CODE_RE
from core.models import Department, UnitKind


class PageArgs(Schema):
    limit = fields.Integer(load_default=None, metadata={"description": "1–500, default 50"})
    cursor = fields.String(load_default=None, metadata={"description": "opaque, from next_cursor"})


class UnitQueryArgs(PageArgs):
    kind = fields.Enum(UnitKind, by_value=True, load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=60))


class UnitOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.Enum(UnitKind, by_value=True)
    department = fields.Enum(Department, by_value=True)
    parent_code = fields.Function(lambda u: u.parent.code if u.parent else None)
    depth = fields.Integer()
    is_active = fields.Boolean()
    has_boundary = fields.Function(lambda u: u.boundary_geojson is not None)


class UnitPage(Schema):
    items = fields.List(fields.Nested(UnitOut))
    next_cursor = fields.String(allow_none=True)


class UnitIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(UNIT_CODE_RE))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Enum(UnitKind, by_value=True, required=True)
    department = fields.Enum(Department, by_value=True, load_default=Department.government)
    parent_code = fields.String(required=True)
    boundary_geojson = fields.Dict(load_default=None, allow_none=True)
