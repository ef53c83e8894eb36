"""The case import's rows: cells to a case input, checked a batch at a time.

Each row is checked by the import's own rules (the columns: reference, unit, officers, time,
point, plate colour; all problems at once), then by the rules every new case passes
(:func:`enforcement.cases.rules.check_new_case`, the first one broken, as the form would say it),
acted by the row's first officer. Look-ups are made once per batch (the references already
imported) or once per import (units, users, violation types), never per row.
See :mod:`enforcement.cases.importer` for the columns.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional, Union
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from core import scoping
from core.errors import DomainError
from core.models import Unit, User
from core.plates import PLATE_COLOURS
from enforcement.cases import rules
from enforcement.cases.models import Case
from enforcement.violations.models import ViolationType
from extensions import db

LOCAL = ZoneInfo("Asia/Shanghai")
REF_PREFIX = "import:"
MAX_REF_LENGTH = 60 - len(REF_PREFIX)
IN_LIST = 500  # values per IN (…) list of a look-up
# Where a case rule's error field lands among the columns.
SERVICE_FIELDS = {
    "occurred_at": "occurred_at", "address": "address", "lat": "lat", "lng": "lng",
    "origin": "origin", "violation_code": "violation", "officer_ids": "officers",
    "unit_id": "unit", "vehicles.0.plate": "plate", "vehicles.0.plate_colour": "plate_colour",
    "vehicles.0.vin": "plate", "parties.0.name": "party_name",
    "parties.0.id_number": "id_number", "parties.0.phone": "phone",
    "parties.0.role": "party_role",
}
COLOUR_NAMES = {zh: code for code, zh in PLATE_COLOURS.items()} | \
    {zh + "色": code for code, zh in PLATE_COLOURS.items()} | {c: c for c in PLATE_COLOURS}
OFFICER_SEPARATORS = re.compile(r"[,，、;；\s]+")
DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H时%M分",
                    "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日")


def text_of(value) -> str:
    """A cell as text: "" for empty, 12345 (not 12345.0) for Excel's whole numbers."""
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 12345 as 12345.0
    return str(value).strip()


def is_blank(cells) -> bool:
    """Blank lines are not rows."""
    return all(text_of(c) == "" for c in cells)


def parse_time(value) -> dt.datetime:
    """A cell as an aware time: an Excel date-time or one of DATETIME_FORMATS, local time."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = text_of(value)
        if not text:
            raise ValueError(_("Enter when it happened."))
        moment = None
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in DATETIME_FORMATS:
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if moment is None:
            raise ValueError(_("Enter the time as 2024-05-01 18:30."))
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


def parse_float(value, name: str) -> Optional[float]:
    if isinstance(value, (int, float)):
        return float(value)
    text = text_of(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(_("Enter %(name)s as a decimal number, e.g. 29.61.", name=name)) \
            from None


@dataclass
class ValidRow:
    """A row that passed every check: what :mod:`import_writer` writes."""

    number: int
    unit: Unit
    actor: User  # the first officer, who opens the case
    data: rules.CaseInput
    checked: rules.CheckedCase


@dataclass
class BadRow:
    number: int
    ref: str
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column name, message)


SKIPPED = "skipped"  # already imported (same unit and reference)
RowResult = Union[ValidRow, BadRow, str]


class RowChecker:
    """Checks batches of rows of one file; keeps the import's look-ups between batches."""

    def __init__(self, actor, positions: dict[str, int]):
        self.actor, self.positions = actor, positions
        # Loaded objects are kept (not just ids) so that the session does not load them again
        # for every row; a commit expires them and the next batch refreshes them once.
        self.units: dict[str, Optional[Unit]] = {}
        self.users: dict[str, Optional[User]] = {}
        self.users_by_id: dict[int, User] = {}
        types = db.session.scalars(select(ViolationType)).all()
        self.violation_codes = {vt.name_zh: vt.code for vt in types}
        self.active_violations = {vt.code: vt for vt in types if vt.is_active}

    def unit(self, code: str) -> Optional[Unit]:
        code = code.strip().upper()
        if code not in self.units:
            unit = db.session.scalar(select(Unit).where(Unit.code == code,
                                                        Unit.is_active.is_(True)))
            visible = unit is not None and (self.actor is None or
                                            scoping.can_see_unit(self.actor, unit))
            self.units[code] = unit if visible else None
        return self.units[code]

    def user(self, username: str) -> Optional[User]:
        name = username.strip().lower()
        if name not in self.users:
            user = db.session.scalar(select(User).where(User.username == name,
                                                        User.is_active.is_(True)))
            self.users[name] = user
            if user is not None:
                self.users_by_id[user.id] = user
        return self.users[name]

    def check(self, batch: list[tuple[int, list]], now: dt.datetime) -> list[RowResult]:
        """The outcome of each row of ``batch`` ((row number, cells), blank rows left out),
        in order; a reference met twice counts once (the later ones are skipped)."""
        refs = {REF_PREFIX + text_of(self._get(cells, "external_ref")) for _n, cells in batch}
        seen: set[tuple[int, str]] = set()
        for chunk in chunks(sorted(refs)):
            seen.update(db.session.execute(select(Case.unit_id, Case.origin_ref)
                                           .where(Case.origin_ref.in_(chunk))).all())
        results: list[RowResult] = []
        for number, cells in batch:
            result = self._row(number, cells, seen, now)
            if isinstance(result, ValidRow):
                seen.add((result.unit.id, result.data.origin_ref))
            results.append(result)
        return results

    def _get(self, cells, name):
        index = self.positions.get(name)
        return cells[index] if index is not None and index < len(cells) else None

    def _row(self, number: int, cells: list, seen: set, now: dt.datetime) -> RowResult:
        width = len(cells)
        get = {name: cells[index] for name, index in self.positions.items()
               if index < width}.get  # None for a column the file or the row lacks

        ref = text_of(get("external_ref"))
        bad = BadRow(number, ref)
        problems = bad.problems
        if not ref:
            problems.append(("external_ref", _("Enter the external reference.")))
        elif len(ref) > MAX_REF_LENGTH:
            problems.append(("external_ref", _("The external reference is longer than %(n)d "
                                               "characters.", n=MAX_REF_LENGTH)))
        code = text_of(get("unit"))
        unit = self.unit(code) if code else None
        if not code:
            problems.append(("unit", _("Enter the unit code.")))
        elif unit is None:
            problems.append(("unit", _("Unknown unit %(code)s.", code=code)))
        if unit is not None and ref and (unit.id, REF_PREFIX + ref) in seen:
            return SKIPPED
        officers = []
        for username in OFFICER_SEPARATORS.split(text_of(get("officers"))):
            if username:
                user = self.user(username)
                if user is None:
                    problems.append(("officers", _("Unknown user %(name)s.", name=username)))
                else:
                    officers.append(user)
        if not officers and not any(n == "officers" for n, _m in problems):
            problems.append(("officers", _("Name at least one officer (user name).")))
        occurred_at = None
        try:
            occurred_at = parse_time(get("occurred_at"))
        except ValueError as exc:
            problems.append(("occurred_at", str(exc)))
        point: dict[str, Optional[float]] = {"lat": None, "lng": None}
        for name in point:
            try:
                point[name] = parse_float(get(name), name)
            except ValueError as exc:
                problems.append((name, str(exc)))
        colour = text_of(get("plate_colour"))
        if colour and colour.lower() not in COLOUR_NAMES:
            problems.append(("plate_colour", _("Unknown plate colour %(colour)s.",
                                               colour=colour)))
        if problems:
            return bad
        violation = text_of(get("violation"))
        plate = text_of(get("plate"))
        party = {k: text_of(get(k)) for k in ("party_name", "id_number", "phone",
                                               "party_address", "party_role")}
        data = rules.CaseInput(
            origin=text_of(get("origin")) or "transfer", occurred_at=occurred_at,
            address=text_of(get("address")), officer_ids=[u.id for u in officers],
            violation_code=self.violation_codes.get(violation, violation) or None,
            origin_ref=REF_PREFIX + ref, lat=point["lat"], lng=point["lng"],
            facts=text_of(get("facts")),
            vehicles=[rules.VehicleInput(
                plate=plate, plate_colour=COLOUR_NAMES.get(colour.lower()) if colour else None,
                kind=text_of(get("vehicle_kind")) or "car")] if plate else [],
            parties=[rules.PartyInput(
                name=party["party_name"], role=party["party_role"] or "driver",
                id_number=party["id_number"] or None, phone=party["phone"] or None,
                address=party["party_address"] or None)]
            if any(party[k] for k in ("party_name", "id_number", "phone")) else [])
        try:
            checked = rules.check_new_case(
                actor=officers[0], unit=unit, data=data, now=now,
                find_violation=self.active_violations.get, get_user=self.users_by_id.get)
        except DomainError as exc:
            for service_field, messages in (exc.fields or {None: [exc.message]}).items():
                name = SERVICE_FIELDS.get(service_field or "", service_field or "external_ref")
                problems.extend((name, str(message)) for message in messages)
            return bad
        return ValidRow(number=number, unit=unit, actor=officers[0], data=data, checked=checked)


def chunks(items: list, size: Optional[int] = None):
    """``items`` in slices of ``size`` (IN lists well under every database's parameter limit)."""
    size = size or IN_LIST
    for start in range(0, len(items), size):
        yield items[start:start + size]
