"""JSON schemas of the public tip API: what a tip may carry, and the two answers."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class TipIn(Schema):
    what = fields.String(required=True)
    description = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=None)
    address = fields.String(load_default="")
    lat = fields.Float(load_default=None, allow_nan=False)
    lng = fields.Float(load_default=None, allow_nan=False)
    plates = fields.List(fields.String(validate=validate.Length(max=20)), load_default=list,
                         validate=validate.Length(max=10))
    name = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    wants_reward = fields.Boolean(load_default=False)


class ReceiptOut(Schema):
    receipt_code = fields.String()


class StatusOut(Schema):
    status = fields.String()
