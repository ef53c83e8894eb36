"""The vehicle and person registry: a case naming a known plate or ID number with other details
(another vehicle kind, another name) reuses the registered record instead of failing."""
from __future__ import annotations

from sqlalchemy import func, select

from enforcement.cases.services import PartyInput, VehicleInput
from enforcement.people import services
from enforcement.people.models import Person, Vehicle, VehicleKind
from extensions import db as _db


def _valid(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


def test_known_plate_with_another_kind_reuses_the_vehicle(db):
    first = services.find_or_create_vehicle(VehicleInput(plate="渝A12345", kind="motorcycle"))
    again = services.find_or_create_vehicle(VehicleInput(plate="渝a·12345", kind="car"))
    assert again.id == first.id
    assert again.kind is VehicleKind.car  # the latest case's description wins, as before
    assert _db.session.scalar(select(func.count(Vehicle.id))
                              .where(Vehicle.plate == "渝A12345")) == 1


def test_known_id_number_with_another_name_reuses_the_person(db):
    id_no = _valid("50011219900101123")
    first = services.find_or_create_person(PartyInput(name="张三", role="driver", id_number=id_no))
    again = services.find_or_create_person(PartyInput(name="张叁", role="driver", id_number=id_no))
    assert again.id == first.id and again.name == "张叁"
    assert _db.session.scalar(select(func.count(Person.id))
                              .where(Person.id_number == id_no)) == 1
