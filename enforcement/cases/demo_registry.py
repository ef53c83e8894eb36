"""Demo cases: the transport units, their officers (created when missing) and the registry
pools of vehicles and persons (repeat offenders). See :mod:`enforcement.cases.demo`."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Optional

from sqlalchemy import select

from core import audit, security
from core.models import Unit, User
from core.roles import Role
from enforcement.cases.demo_data import (
    CAR_MODELS,
    CITY_UNIT,
    COLOURS,
    COMPANY_KINDS,
    COMPANY_WORDS,
    CQ_AREAS,
    DISTRICTS,
    EV_MODELS,
    GIVEN,
    MOBILE_PREFIXES,
    MOBILITY_MODELS,
    MOTO_MODELS,
    OFFICER_ROLES,
    OTHER_AREAS,
    PLATE_PREFIXES,
    RENTAL_MODELS,
    SERIAL_LETTERS,
    SURNAMES,
    VIN_CHARS,
    _table,
    id_check_digit,
)
from extensions import db


def _transport_units() -> list[tuple[Unit, Optional[str]]]:
    """(unit, district code or None for the city brigade) of the demo transport units."""
    codes = {f"{d}-JT01": d for d in DISTRICTS} | {CITY_UNIT: None}
    units = db.session.scalars(select(Unit).where(Unit.code.in_(codes), Unit.is_active.is_(True))
                               .order_by(Unit.code)).all()
    if not units:
        raise LookupError("no demo transport units (e.g. 500112-JT01): load the demo structure "
                          "first (core.demo.load_structure)")
    return [(u, codes[u.code]) for u in units]


def _person_name(rng) -> str:
    rnd = rng.random
    name = SURNAMES[int(rnd() * len(SURNAMES))] + GIVEN[int(rnd() * len(GIVEN))]
    return name + GIVEN[int(rnd() * len(GIVEN))] if rnd() < 0.7 else name


def _unit_label(district: Optional[str]) -> tuple[str, str]:
    if district is None:
        return "市执法总队", "city"
    short, slug, _roads = DISTRICTS[district]
    return f"{short}执法支队", slug


def _ensure_officers(units, rng, today: dt.date) -> tuple[dict, list[str]]:
    """Per unit id: (certified officers, leader ids); creates the missing ones (2–4 officers,
    one leader) with certificates and an unusable password (one shared random argon2 hash)."""
    staff, created, password_hash = {}, [], None
    taken = set(db.session.scalars(select(User.username)))
    for unit, district in units:
        users = db.session.scalars(select(User).where(
            User.unit_id == unit.id, User.role.in_(OFFICER_ROLES), User.is_active.is_(True))
            .order_by(User.id)).all()
        certified = [u for u in users if u.has_valid_certificate(today)]
        officers = [u for u in certified if u.role is Role.officer]
        leaders = [u for u in certified if u.role is Role.unit_leader]
        label, slug = _unit_label(district)
        wanted = [] if len(officers) >= 2 else \
            [Role.officer] * max(0, rng.randint(2, 4) - len(officers))
        if not leaders:
            wanted.append(Role.unit_leader)
        for role in wanted:
            if password_hash is None:
                password_hash = security.hash_password(secrets.token_urlsafe(32))
            k = 1
            base = f"{slug}.{'jtlead' if role is Role.unit_leader else 'jt'}"
            while f"{base}{k:02d}" in taken:
                k += 1
            username = f"{base}{k:02d}"
            taken.add(username)
            user = User(username=username, full_name=f"{label} {_person_name(rng)}", role=role,
                        unit_id=unit.id, cert_no=f"渝交执{rng.randint(100000, 999999)}",
                        cert_expires_on=today + dt.timedelta(days=rng.randint(365, 4 * 365)),
                        phone=f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 10**8 - 1):08d}",
                        password_hash=password_hash)
            db.session.add(user)
            db.session.flush()
            audit.record("user.create", actor=None, object_type="user", object_id=user.id,
                         unit_id=unit.id, detail={"username": username, "role": role.value,
                                                  "source": "demo"})
            created.append(username)
            (leaders if role is Role.unit_leader else officers).append(user)
        staff[unit.id] = ([u.id for u in officers] or [u.id for u in leaders],
                          [u.id for u in leaders])
    return staff, created


BIRTHS = (dt.date(1958, 1, 1), 16400)  # first birth date and days: born 1958 to 2002
VEHICLE_KINDS = {"car": "car", "moto": "motorcycle", "mobility": "mobility_vehicle",
                 "rental": "rental_car"}
VEHICLE_MODELS = {"car": CAR_MODELS, "moto": MOTO_MODELS, "mobility": MOBILITY_MODELS,
                  "rental": RENTAL_MODELS}
ENERGY_SERIAL = "ABCDEFGHJK0123456789"


class _Registry:
    """Vehicles and persons created on first use from index-addressed pools (repeat offenders)."""

    def __init__(self, rng, next_vehicle_id: int, next_person_id: int, n: int, stamp,
                 plates: set[str], id_numbers: set[str]):
        self.rng = rng
        self.stamp = stamp  # seconds → a timestamp as the database driver takes it
        # New records never collide with the registry's existing plates and ID numbers.
        self.plates, self.id_numbers = plates, id_numbers
        self.next_vehicle_id, self.next_person_id = next_vehicle_id, next_person_id
        pool = max(12, n // 3)
        self.pools = {"car": int(pool * 0.78) or 1, "moto": int(pool * 0.12) or 1,
                      "mobility": int(pool * 0.05) or 1, "rental": int(pool * 0.05) or 1}
        self.vehicles: dict[tuple[str, int], tuple[int, str, int]] = {}  # → id, plate, owner
        self.persons: dict[int, tuple[int, str]] = {}  # → id, name
        self.person_pool = max(10, n // 3)
        self.companies: dict[int, tuple[int, str]] = {}
        self.vehicle_rows: list[tuple] = []
        self.person_rows: list[tuple] = []
        self._plate_prefixes = _table(PLATE_PREFIXES, 1024)
        self._areas = _table([(a, 85 / len(CQ_AREAS)) for a in CQ_AREAS] +
                             [(a, 15 / len(OTHER_AREAS)) for a in OTHER_AREAS], 1024)
        first, count = BIRTHS
        self._births = [f"{first + dt.timedelta(days=i):%Y%m%d}" for i in range(count)]
        self._districts = list(DISTRICTS.values())
        self.created_vehicles = self.created_persons = 0

    def take_rows(self):
        vehicles, persons = self.vehicle_rows, self.person_rows
        self.vehicle_rows, self.person_rows = [], []
        return vehicles, persons

    # -- persons ----------------------------------------------------------------------------
    def _id_number(self) -> str:
        rnd = self.rng.random
        areas, births = self._areas, self._births
        while True:
            body = f"{areas[int(rnd() * len(areas))]}{births[int(rnd() * len(births))]}" \
                   f"{int(rnd() * 1000):03d}"
            number = body + id_check_digit(body)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def _address(self) -> str:
        rnd = self.rng.random
        short, _slug, roads = self._districts[int(rnd() * len(self._districts))]
        return f"重庆市{short}区{roads[int(rnd() * len(roads))]}{1 + int(rnd() * 399)}号"

    def person(self, index: int, at: int) -> tuple[int, str]:
        """(id, name) of the person at ``index`` of the pool, created when first named."""
        found = self.persons.get(index)
        if found is not None:
            return found
        rnd = self.rng.random
        number = self._id_number()
        name = _person_name(self.rng)
        pid = self.next_person_id
        self.next_person_id += 1
        phone = f"{MOBILE_PREFIXES[int(rnd() * len(MOBILE_PREFIXES))]}{int(rnd() * 10**8):08d}"
        self.person_rows.append((pid, name, number, phone, self._address(), False,
                                 self.stamp(at)))
        self.created_persons += 1
        found = self.persons[index] = (pid, name)
        return found

    def company(self, index: int, at: int) -> tuple[int, str]:
        found = self.companies.get(index)
        if found is None:
            rng = self.rng
            name = f"重庆{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}" \
                   f"{rng.choice(COMPANY_KINDS)}"
            pid = self.next_person_id
            self.next_person_id += 1
            phone = f"023-{rng.randint(6000, 8999)}{rng.randint(0, 9999):04d}"
            self.person_rows.append((pid, name, None, phone, self._address(), True,
                                     self.stamp(at)))
            self.created_persons += 1
            found = self.companies[index] = (pid, name)
        return found

    # -- vehicles ---------------------------------------------------------------------------
    def _plate(self, pool: str) -> tuple[str, str]:
        rnd = self.rng.random
        prefixes = self._plate_prefixes
        while True:
            prefix = prefixes[int(rnd() * len(prefixes))]
            if pool == "car" and rnd() < 0.15:  # small new-energy plate: 渝AD12345
                plate = f"{prefix}{'DF'[int(rnd() * 2)]}{ENERGY_SERIAL[int(rnd() * 20)]}" \
                        f"{int(rnd() * 10000):04d}"
                colour = "green"
            else:
                serial = f"{int(rnd() * 100000):05d}"
                if pool == "car":  # up to two letters in the serial
                    for _ in range(int(rnd() * 3)):
                        pos = int(rnd() * 5)
                        serial = serial[:pos] + SERIAL_LETTERS[int(rnd() * 24)] + \
                            serial[pos + 1:]
                plate = prefix + serial
                colour = "yellow" if pool in ("moto", "mobility") or \
                    (pool == "rental" and rnd() < 0.4) else "blue"
            if plate not in self.plates:
                self.plates.add(plate)
                return plate, colour

    def vehicle(self, pool: str, at: int) -> tuple[int, str, int]:
        """(vehicle id, plate, owner's person index) of a pool vehicle, skewed to repeat ones."""
        rnd = self.rng.random
        index = int(self.pools[pool] * rnd() * rnd())  # low indices come back again and again
        key = (pool, index)
        found = self.vehicles.get(key)
        if found is not None:
            return found
        plate, colour = self._plate(pool)
        owner = int(rnd() * self.person_pool)
        vid = self.next_vehicle_id
        self.next_vehicle_id += 1
        kind, models = VEHICLE_KINDS[pool], VEHICLE_MODELS[pool]
        if colour == "green":
            models = EV_MODELS
        elif pool == "rental" and colour == "yellow":
            kind = "tourist_coach"
        vin = None
        if pool != "mobility" and rnd() < 0.4:
            vin = "L" + "".join(self.rng.choices(VIN_CHARS, k=16))
        self.vehicle_rows.append((vid, plate, colour, kind, models[int(rnd() * len(models))],
                                  COLOURS[int(rnd() * len(COLOURS))], vin, self.stamp(at)))
        self.created_vehicles += 1
        found = self.vehicles[key] = (vid, plate, owner)
        return found
