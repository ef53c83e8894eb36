"""JSON schemas of the case API (the same services as the pages)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from enforcement.cases.models import CaseOrigin, CaseStatus, PartyRole


class VehicleIn(Schema):
    plate = fields.String(required=True, validate=validate.Length(min=1, max=20))
    plate_colour = fields.String(load_default=None)
    kind = fields.String(load_default="car")
    make_model = fields.String(load_default=None)
    colour = fields.String(load_default=None)
    vin = fields.String(load_default=None)
    is_fake_plate = fields.Boolean(load_default=False)


class PartyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    role = fields.Enum(PartyRole, by_value=True, load_default=PartyRole.driver)
    id_number = fields.String(load_default=None)
    phone = fields.String(load_default=None)
    address = fields.String(load_default=None)


class CaseIn(Schema):
    origin = fields.Enum(CaseOrigin, by_value=True, required=True)
    origin_ref = fields.String(load_default=None, validate=validate.Length(max=60))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=None)
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    lng = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    violation_code = fields.String(load_default=None)
    facts = fields.String(load_default="", validate=validate.Length(max=4000))
    officer_ids = fields.List(fields.Integer(), load_default=list)
    documents_detained = fields.String(load_default=None)
    vehicles = fields.List(fields.Nested(VehicleIn), load_default=list,
                           validate=validate.Length(max=10))
    parties = fields.List(fields.Nested(PartyIn), load_default=list,
                          validate=validate.Length(max=10))


class CaseQueryArgs(Schema):
    limit = fields.Integer(load_default=None)
    cursor = fields.String(load_default=None)
    unit = fields.String(load_default=None)
    status = fields.Enum(CaseStatus, by_value=True, load_default=None)
    plate = fields.String(load_default=None)
    violation = fields.String(load_default=None)
    officer = fields.Integer(load_default=None)
    date_from = fields.Date(load_default=None, data_key="from")
    date_to = fields.Date(load_default=None, data_key="to")


class PersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    id_number = fields.String()
    phone = fields.String()


class VehicleOut(Schema):
    id = fields.Integer()
    plate = fields.String()
    plate_colour = fields.Function(lambda v: v.plate_colour.value)
    kind = fields.Function(lambda v: v.kind.value)


class StepOut(Schema):
    id = fields.Integer()
    action = fields.String()
    from_status = fields.Function(lambda s: s.from_status.value)
    to_status = fields.Function(lambda s: s.to_status.value)
    at = fields.DateTime()
    actor = fields.Function(lambda s: s.actor.username if s.actor else None)
    note = fields.String()


class ClockOut(Schema):
    name = fields.String()
    start_on = fields.Date()
    due_on = fields.Date()
    done_on = fields.Date(allow_none=True)


class CaseOut(Schema):
    id = fields.Integer()
    number = fields.String()
    unit = fields.Function(lambda c: c.unit.code)
    status = fields.Function(lambda c: c.status.value)
    origin = fields.Function(lambda c: c.origin.value)
    occurred_at = fields.DateTime()
    address = fields.String()
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    violation = fields.Function(lambda c: c.violation_type.code if c.violation_type else None)
    tier = fields.Function(lambda c: c.tier.value if c.tier else None)
    proposed_fine = fields.Decimal(as_string=True, allow_none=True)
    fine_amount = fields.Decimal(as_string=True, allow_none=True)
    is_penalty_flagged = fields.Boolean()
    officers = fields.Function(lambda c: [o.user.username for o in c.officers])
    vehicles = fields.Function(lambda c: [
        {"plate": v.vehicle.plate, "plate_colour": v.vehicle.plate_colour.value,
         "is_fake_plate": v.is_fake_plate} for v in c.vehicles])
    parties = fields.Function(lambda c: [
        {"name": p.person.name, "role": p.role.value, "id_number": p.person.id_number}
        for p in c.parties])


class CaseDetailOut(CaseOut):
    history = fields.Function(lambda c: StepOut(many=True).dump(c.steps))
    clocks = fields.Function(lambda c: ClockOut(many=True).dump(c.clocks))


class CaseRowOut(Schema):
    """A case of the list, as ``listing.api_page`` makes it (values already in JSON form; the
    same shape as :class:`CaseOut`)."""

    id = fields.Integer()
    number = fields.String()
    unit = fields.String()
    status = fields.String()
    origin = fields.String()
    occurred_at = fields.String(metadata={"format": "date-time"})
    address = fields.String()
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    violation = fields.String(allow_none=True)
    tier = fields.String(allow_none=True)
    proposed_fine = fields.String(allow_none=True, metadata={"format": "decimal"})
    fine_amount = fields.String(allow_none=True, metadata={"format": "decimal"})
    is_penalty_flagged = fields.Boolean()
    officers = fields.List(fields.String())
    vehicles = fields.List(fields.Dict())
    parties = fields.List(fields.Dict())


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseRowOut))
    next_cursor = fields.String(allow_none=True)


class TransitionIn(Schema):
    to = fields.String(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    proposed_fine = fields.String(load_default=None)
    confiscated_amount = fields.String(load_default=None)
    penalty_justification = fields.String(load_default=None)
    fine_amount = fields.String(load_default=None)
    statement_waived = fields.Boolean(load_default=False)
    paid_on = fields.Date(load_default=None)
    receipt_no = fields.String(load_default=None)
    court_enforcement_on = fields.Date(load_default=None)
    transferred_to = fields.String(load_default=None)
