"""The registry: find or create persons and vehicles from validated input, never duplicates."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import identity, plates
from core.database import insert_ignore
from core.errors import DomainError
from enforcement.people.models import Person, PlateColour, Vehicle, VehicleKind
from extensions import db


def _get_or_insert(model, keys: dict, **values):
    """The row with these unique ``keys``, inserted (with ``values``) if missing; safe when two
    requests race to create it (INSERT … ON CONFLICT DO NOTHING, then read by the keys alone:
    an existing row may differ in ``values``)."""
    insert_ignore(model, **keys, **values)
    conditions = [getattr(model, k) == v for k, v in keys.items()]
    return db.session.scalars(select(model).where(*conditions)).one()


def find_or_create_vehicle(data, *, index: int = 0) -> Vehicle:
    """The vehicle with this plate and colour (validated and normalised), created if new."""
    prefix = f"vehicles.{index}"
    try:
        info = plates.validate_plate(data.plate or "")
    except plates.PlateError as exc:
        raise DomainError(str(exc), field=f"{prefix}.plate") from None
    colour = data.plate_colour or plates.default_colour(info) or PlateColour.blue.value
    try:
        colour = PlateColour(colour)
        kind = VehicleKind(data.kind or "car")
    except ValueError:
        raise DomainError(_l("Choose the plate colour and vehicle kind from the list."),
                          field=f"{prefix}.plate_colour") from None
    vin = (data.vin or "").strip().upper() or None
    if vin and (len(vin) != 17 or any(c in "IOQ" for c in vin) or not vin.isalnum()):
        raise DomainError(_l("A VIN has 17 letters and digits (no I, O or Q)."),
                          field=f"{prefix}.vin")
    vehicle = _get_or_insert(Vehicle, {"plate": info.plate, "plate_colour": colour},
                             kind=kind)
    vehicle.kind = kind
    vehicle.make_model = (data.make_model or "").strip() or vehicle.make_model
    vehicle.colour = (data.colour or "").strip() or vehicle.colour
    vehicle.vin = vin or vehicle.vin
    db.session.flush()
    return vehicle


def find_or_create_person(data, *, index: int = 0) -> Person:
    """The person with this ID number (validated), or a new record when none is given."""
    prefix = f"parties.{index}"
    name = (data.name or "").strip()
    if not name or len(name) > 60:
        raise DomainError(_l("Enter the party's name."), field=f"{prefix}.name")
    id_number = None
    if (data.id_number or "").strip():
        try:
            id_number = identity.validate_id_number(data.id_number).number
        except identity.IdNumberError as exc:
            raise DomainError(str(exc), field=f"{prefix}.id_number") from None
    phone = None
    if (data.phone or "").strip():
        try:
            phone = identity.validate_phone(data.phone)
        except identity.PhoneError as exc:
            raise DomainError(str(exc), field=f"{prefix}.phone") from None
    if id_number:
        person = _get_or_insert(Person, {"id_number": id_number}, name=name)
    else:  # no ID number: a record of its own
        person = Person(name=name)
        db.session.add(person)
    person.name = name
    person.phone = phone or person.phone
    person.address = (data.address or "").strip() or person.address
    db.session.flush()
    return person
