"""Persons and vehicles: records of their own, each with its whole history across cases."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.base import UTCDateTime, utcnow
from core.models import str_enum
from extensions import db


class VehicleKind(str, enum.Enum):
    car = "car"
    motorcycle = "motorcycle"
    mobility_vehicle = "mobility_vehicle"  # 残疾人代步车
    rental_car = "rental_car"
    tourist_coach = "tourist_coach"
    other = "other"


class PlateColour(str, enum.Enum):
    blue = "blue"
    yellow = "yellow"
    green = "green"
    yellow_green = "yellow_green"
    white = "white"
    black = "black"
    none = "none"  # no plate at all (e.g. a mobility vehicle)


def _linked_case_in_scope(link_model, column: str):
    """A scope check for registry records: visible when a case in scope names them."""

    def check(actor, obj) -> bool:
        from sqlalchemy import exists, select

        from core import scoping
        from enforcement.cases.models import Case

        link = getattr(link_model(), column)
        stmt = select(exists().where(link == obj.id, link_model().case_id == Case.id,
                                     scoping.unit_condition(actor, Case.unit_id)))
        return bool(db.session.scalar(stmt))

    return check


def _case_vehicle():
    from enforcement.cases.models import CaseVehicle

    return CaseVehicle


def _case_party():
    from enforcement.cases.models import CaseParty

    return CaseParty


class Vehicle(db.Model):
    """A vehicle, identified by its normalised plate and plate colour."""

    __tablename__ = "vehicles"
    __scope_check__ = staticmethod(_linked_case_in_scope(_case_vehicle, "vehicle_id"))
    __table_args__ = (UniqueConstraint("plate", "plate_colour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    plate_colour: Mapped[PlateColour] = mapped_column(str_enum(PlateColour))
    kind: Mapped[VehicleKind] = mapped_column(str_enum(VehicleKind), default=VehicleKind.car)
    make_model: Mapped[Optional[str]] = mapped_column(String(60))
    colour: Mapped[Optional[str]] = mapped_column(String(20))
    vin: Mapped[Optional[str]] = mapped_column(String(17), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Person(db.Model):
    """A party to cases; the ID number (when known) identifies the person."""

    __tablename__ = "persons"
    __scope_check__ = staticmethod(_linked_case_in_scope(_case_party, "person_id"))
    __table_args__ = (Index("ix_persons_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    address: Mapped[Optional[str]] = mapped_column(String(200))
    is_company: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
