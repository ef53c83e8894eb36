"""The registry: find or create persons and vehicles from validated input, never duplicates.

Validation is pure (:func:`vehicle_values`, :func:`person_values`) so that the case import can
check a whole batch before writing it; what a sighting changes on a known record is
:meth:`VehicleValues.changes` / :meth:`PersonValues.changes`, the one rule both paths apply.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import identity, plates
from core.database import insert_ignore
from core.errors import DomainError
from enforcement.people.models import Person, PlateColour, Vehicle, VehicleKind
from extensions import db


@dataclass(frozen=True)
class VehicleValues:
    """A vehicle as a case names it, validated and normalised."""

    plate: str
    plate_colour: PlateColour
    kind: VehicleKind
    make_model: Optional[str] = None
    colour: Optional[str] = None
    vin: Optional[str] = None

    @property
    def key(self) -> tuple[str, PlateColour]:
        return self.plate, self.plate_colour

    def changes(self) -> dict:
        """What naming the vehicle in a case sets on its record: the kind always (the latest
        case's description wins), the other details when given."""
        out: dict = {"kind": self.kind}
        for name in ("make_model", "colour", "vin"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class PersonValues:
    """A party as a case names it, validated and normalised."""

    name: str
    id_number: Optional[str] = None
    phone: Optional[str] = None
    address: Optional[str] = None

    def changes(self) -> dict:
        """What naming the person in a case sets on its record: the name always, the phone and
        address when given."""
        out: dict = {"name": self.name}
        if self.phone:
            out["phone"] = self.phone
        if self.address:
            out["address"] = self.address
        return out


def vehicle_values(data, *, index: int = 0) -> VehicleValues:
    """Check and normalise a vehicle input (plate, colour, kind, VIN); DomainError if invalid."""
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
    return VehicleValues(plate=info.plate, plate_colour=colour, kind=kind,
                         make_model=(data.make_model or "").strip() or None,
                         colour=(data.colour or "").strip() or None, vin=vin)


def person_values(data, *, index: int = 0) -> PersonValues:
    """Check and normalise a party input (name, ID number, phone); DomainError if invalid."""
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
    return PersonValues(name=name, id_number=id_number, phone=phone,
                        address=(data.address or "").strip() or None)


def _get_or_insert(model, keys: dict, **values):
    """The row with these unique ``keys``, inserted (with ``values``) if missing; safe when two
    requests race to create it (INSERT … ON CONFLICT DO NOTHING, then read by the keys alone:
    an existing row may differ in ``values``)."""
    insert_ignore(model, **keys, **values)
    conditions = [getattr(model, k) == v for k, v in keys.items()]
    return db.session.scalars(select(model).where(*conditions)).one()


def save_vehicle(values: VehicleValues) -> Vehicle:
    """The registered vehicle with these (validated) values' plate and colour, created if new."""
    vehicle = _get_or_insert(Vehicle, {"plate": values.plate, "plate_colour": values.plate_colour},
                             kind=values.kind)
    for name, value in values.changes().items():
        setattr(vehicle, name, value)
    db.session.flush()
    return vehicle


def save_person(values: PersonValues) -> Person:
    """The registered person with these (validated) values' ID number, or a new record when
    none is given."""
    if values.id_number:
        person = _get_or_insert(Person, {"id_number": values.id_number}, name=values.name)
    else:  # no ID number: a record of its own
        person = Person(name=values.name)
        db.session.add(person)
    for name, value in values.changes().items():
        setattr(person, name, value)
    db.session.flush()
    return person


def find_or_create_vehicle(data, *, index: int = 0) -> Vehicle:
    """The vehicle with this plate and colour (validated and normalised), created if new."""
    return save_vehicle(vehicle_values(data, index=index))


def find_or_create_person(data, *, index: int = 0) -> Person:
    """The person with this ID number (validated), or a new record when none is given."""
    return save_person(person_values(data, index=index))
