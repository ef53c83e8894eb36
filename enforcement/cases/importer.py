"""Bulk import of cases from a spreadsheet (.xlsx) or CSV file, with a row-by-row error report.

Each row becomes a draft case through the same service as the form (``services.create_case``),
acted by the row's first officer, inside its own savepoint: a bad row leaves nothing behind and
its problems are reported with the row number and the column. Re-running a file changes
nothing: a case remembers its row's external reference as ``origin_ref = "import:<ref>"``, and
a row whose reference is already known in its unit is skipped.

The file is read as a stream (openpyxl read-only, csv reader) and committed every
``COMMIT_EVERY`` rows, so memory stays flat however long the file is.

Columns (first row; Chinese or English headers, either is accepted, also written together
as ``外部编号/external_ref``; unknown columns are ignored):

==============  ==============  ========================================================
Chinese         English         value
==============  ==============  ========================================================
外部编号 *       external_ref *  the case's reference in the sending system (≤ 53 chars)
单位编码 *       unit *          handling unit code, e.g. 500112-JT01
发生时间 *       occurred_at *   2024-05-01 18:30 (local time) or an Excel date-time
地点 *           address *       where it happened
纬度 / 经度      lat / lng       WGS-84 decimal degrees, both or neither
违法类型         violation       catalogue code (FY-KY) or its Chinese name
车牌             plate           plate number
车牌颜色         plate_colour    蓝/黄/绿/黄绿/白/黑 or blue/yellow/…
车辆类型         vehicle_kind    car, motorcycle, mobility_vehicle, rental_car, …
当事人           party_name      party's name
身份证号         id_number       18-digit resident ID number
电话             phone           phone number
当事人地址       party_address   party's address
当事人角色       party_role      driver (default), owner, organiser, company
事实             facts           what happened
执法人员 *       officers        user names separated by "," or "、"; the first one acts
来源             origin          patrol, tip, video, hotline, … (default: transfer)
==============  ==============  ========================================================
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from core import audit, scoping
from core.errors import DomainError
from core.models import Unit, User
from core.plates import PLATE_COLOURS
from enforcement.cases import services
from enforcement.cases.models import Case
from enforcement.violations.models import ViolationType
from extensions import db

LOCAL = ZoneInfo("Asia/Shanghai")
COMMIT_EVERY = 200
MAX_ERRORS_KEPT = 1000  # in the report object; the CSV report has them all
REF_PREFIX = "import:"
MAX_REF_LENGTH = 60 - len(REF_PREFIX)

# canonical name → accepted headers (compared case-insensitively, spaces and "_" ignored)
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_ref": ("外部编号", "external_ref", "外部案号", "ref"),
    "unit": ("单位编码", "unit", "unit_code", "办案单位编码"),
    "occurred_at": ("发生时间", "occurred_at", "违法时间"),
    "address": ("地点", "address", "违法地点"),
    "lat": ("纬度", "lat", "latitude"),
    "lng": ("经度", "lng", "lon", "longitude"),
    "violation": ("违法类型", "violation", "violation_code", "违法行为"),
    "plate": ("车牌", "plate", "车牌号", "号牌号码"),
    "plate_colour": ("车牌颜色", "plate_colour", "plate_color", "号牌颜色"),
    "vehicle_kind": ("车辆类型", "vehicle_kind"),
    "party_name": ("当事人", "party_name", "当事人姓名"),
    "id_number": ("身份证号", "id_number", "身份证号码"),
    "phone": ("电话", "phone", "联系电话"),
    "party_address": ("当事人地址", "party_address", "住址"),
    "party_role": ("当事人角色", "party_role"),
    "facts": ("事实", "facts", "违法事实"),
    "officers": ("执法人员", "officers"),
    "origin": ("来源", "origin", "案件来源"),
}
REQUIRED = ("external_ref", "unit", "occurred_at", "address", "officers")
# Where a service's error field lands among the columns.
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


class ImportFileError(Exception):
    """The file cannot be read as a case list at all (format, encoding, header)."""


@dataclass
class RowError:
    row: int  # the row number as the spreadsheet shows it (the header is row 1)
    field: str  # canonical column name, e.g. "plate"
    message: str
    column: str = ""  # the header as written in the file
    external_ref: str = ""


@dataclass
class ImportReport:
    path: Path
    rows: int = 0
    created: int = 0
    skipped: int = 0  # already imported earlier (same unit and external reference)
    error_rows: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_ERRORS_KEPT
    error_report: Optional[Path] = None
    created_numbers: list[str] = field(default_factory=list)  # the first MAX_ERRORS_KEPT

    @property
    def ok(self) -> bool:
        return self.error_rows == 0


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", header).lower()


_ALIASES = {_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def _match(header, extra: dict[str, str]) -> Optional[str]:
    """The canonical column a header names: "外部编号", "external_ref", "外部编号/external_ref",
    "外部编号（必填）"."""
    text = re.sub(r"[(（][^)）]*[)）]|\*", "", str(header or "")).strip()
    for part in [text, *re.split(r"[/|]", text)]:
        found = extra.get(_key(part)) or _ALIASES.get(_key(part))
        if found:
            return found
    return None


def _sniff(path: Path) -> str:
    """"xlsx" or "csv" from the content, checked against the name; ImportFileError otherwise."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ImportFileError(_("Cannot read %(path)s: %(error)s", path=path,
                                error=exc.strerror or exc)) from None
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(b"\xd0\xcf\x11\xe0")
    if is_ole:
        raise ImportFileError(_("%(name)s is an old Excel 97-2003 (.xls) workbook; save it as "
                                ".xlsx or .csv first.", name=path.name))
    if suffix == ".xlsx":
        if not is_zip:
            raise ImportFileError(_("%(name)s is not an Excel .xlsx workbook (is it a CSV file "
                                    "renamed?).", name=path.name))
        return "xlsx"
    if suffix == ".csv":
        if is_zip:
            raise ImportFileError(_("%(name)s looks like an Excel workbook saved with a .csv "
                                    "name; rename it to .xlsx or export it as CSV.",
                                    name=path.name))
        return "csv"
    raise ImportFileError(_("Unknown file type %(suffix)s: import a .xlsx or .csv file.",
                            suffix=suffix or "(none)"))


def _xlsx_rows(path: Path) -> Iterator[tuple]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="openpyxl")  # other tools' styles
            workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl's own errors: the file is not usable
        raise ImportFileError(_("%(name)s cannot be read as an .xlsx workbook (%(error)s).",
                                name=path.name, error=exc)) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("%(name)s has no worksheet.", name=path.name))
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or, as Excel saves CSV on Chinese systems, GB18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "gb18030"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[list[str]]:
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="", errors="strict") as fh:
        try:
            yield from csv.reader(fh)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(_("%(name)s is not a readable CSV file (%(error)s).",
                                    name=path.name, error=exc)) from None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 12345 as 12345.0
    return str(value).strip()


def _parse_time(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = _text(value)
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


def _parse_float(value, name: str) -> Optional[float]:
    if isinstance(value, (int, float)):
        return float(value)
    text = _text(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(_("Enter %(name)s as a decimal number, e.g. 29.61.", name=name)) \
            from None


class _Importer:
    def __init__(self, path: Path, actor, unit_code_column: str):
        self.path, self.actor = path, actor
        self.unit_code_column = unit_code_column
        self.report = ImportReport(path=path)
        # Loaded objects are kept (not just ids) so that the session does not load them again
        # for every row; a commit expires them and the next row refreshes them once.
        self.units: dict[str, Optional[Unit]] = {}
        self.users: dict[str, Optional[User]] = {}
        self.violations = {name: code for code, name in db.session.execute(
            select(ViolationType.code, ViolationType.name_zh))}
        # The import keys already used, per unit (one query, then kept up to date).
        self.seen: set[tuple[int, str]] = set(db.session.execute(
            select(Case.unit_id, Case.origin_ref).where(
                Case.origin_ref.startswith(REF_PREFIX, autoescape=True))).all())
        self._report_file = None
        self._report_writer = None
        self._report_tmp: Optional[Path] = None

    # -- the header --------------------------------------------------------------------
    def header(self, cells) -> dict[str, int]:
        extra = {}
        if self.unit_code_column != "unit":
            extra[_key(self.unit_code_column)] = "unit"
        positions: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        for index, cell in enumerate(cells or ()):
            name = _match(cell, extra)
            if name is None:
                continue
            if name in positions:
                raise ImportFileError(_("Two columns mean %(name)s: %(a)s and %(b)s.", name=name,
                                        a=self.labels[name], b=_text(cell)))
            positions[name] = index
            self.labels[name] = _text(cell)
        missing = [n for n in REQUIRED if n not in positions]
        if missing:
            wanted = ", ".join(f"{COLUMNS[n][0]}/{COLUMNS[n][1]}" for n in missing)
            raise ImportFileError(_("The first row must name the columns; missing: %(cols)s.",
                                    cols=wanted))
        return positions

    # -- look-ups ------------------------------------------------------------------------
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
            self.users[name] = db.session.scalar(
                select(User).where(User.username == name, User.is_active.is_(True)))
        return self.users[name]

    # -- errors --------------------------------------------------------------------------
    def error(self, row: int, name: str, message, ref: str = "") -> None:
        entry = RowError(row=row, field=name, message=str(message),
                         column=getattr(self, "labels", {}).get(name, name), external_ref=ref)
        if len(self.report.errors) < MAX_ERRORS_KEPT:
            self.report.errors.append(entry)
        if self._report_writer is None:
            fd, tmp = tempfile.mkstemp(prefix=".import-", suffix=".csv",
                                       dir=self.path.parent)
            self._report_tmp = Path(tmp)
            self._report_file = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
            self._report_writer = csv.writer(self._report_file)
            self._report_writer.writerow(["行号/row", "字段/field", "列/column",
                                          "外部编号/external_ref", "错误/message"])
        self._report_writer.writerow([entry.row, entry.field, entry.column, entry.external_ref,
                                      entry.message])

    def finish_report(self) -> None:
        target = self.path.with_suffix(".errors.csv")
        if self._report_file is not None:
            self._report_file.close()
            os.replace(self._report_tmp, target)
            self.report.error_report = target
        elif target.exists():
            target.unlink()  # a report of an earlier run no longer applies

    def abandon_report(self) -> None:
        if self._report_file is not None:
            self._report_file.close()
            self._report_tmp.unlink(missing_ok=True)

    # -- one row -------------------------------------------------------------------------
    def row(self, number: int, cells, positions: dict[str, int]) -> None:
        def get(name):
            index = positions.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        if all(_text(c) == "" for c in cells):
            return  # blank lines are not rows
        self.report.rows += 1
        ref = _text(get("external_ref"))
        problems: list[tuple[str, str]] = []
        if not ref:
            problems.append(("external_ref", _("Enter the external reference.")))
        elif len(ref) > MAX_REF_LENGTH:
            problems.append(("external_ref", _("The external reference is longer than %(n)d "
                                               "characters.", n=MAX_REF_LENGTH)))
        code = _text(get("unit"))
        unit = self.unit(code) if code else None
        if not code:
            problems.append(("unit", _("Enter the unit code.")))
        elif unit is None:
            problems.append(("unit", _("Unknown unit %(code)s.", code=code)))
        if unit is not None and ref and (unit.id, REF_PREFIX + ref) in self.seen:
            self.report.skipped += 1
            return
        officers = []
        for username in OFFICER_SEPARATORS.split(_text(get("officers"))):
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
            occurred_at = _parse_time(get("occurred_at"))
        except ValueError as exc:
            problems.append(("occurred_at", str(exc)))
        point: dict[str, Optional[float]] = {"lat": None, "lng": None}
        for name in point:
            try:
                point[name] = _parse_float(get(name), name)
            except ValueError as exc:
                problems.append((name, str(exc)))
        colour = _text(get("plate_colour"))
        if colour and colour.lower() not in COLOUR_NAMES:
            problems.append(("plate_colour", _("Unknown plate colour %(colour)s.",
                                               colour=colour)))
        if problems:
            for name, message in problems:
                self.error(number, name, message, ref)
            self.report.error_rows += 1
            return
        violation = _text(get("violation"))
        plate = _text(get("plate"))
        party = {k: _text(get(k)) for k in ("party_name", "id_number", "phone", "party_address",
                                             "party_role")}
        data = services.CaseInput(
            origin=_text(get("origin")) or "transfer", occurred_at=occurred_at,
            address=_text(get("address")), officer_ids=[u.id for u in officers],
            violation_code=self.violations.get(violation, violation) or None,
            origin_ref=REF_PREFIX + ref, lat=point["lat"], lng=point["lng"],
            facts=_text(get("facts")),
            vehicles=[services.VehicleInput(
                plate=plate, plate_colour=COLOUR_NAMES.get(colour.lower()) if colour else None,
                kind=_text(get("vehicle_kind")) or "car")] if plate else [],
            parties=[services.PartyInput(
                name=party["party_name"], role=party["party_role"] or "driver",
                id_number=party["id_number"] or None, phone=party["phone"] or None,
                address=party["party_address"] or None)]
            if any(party[k] for k in ("party_name", "id_number", "phone")) else [])
        try:
            with db.session.begin_nested():
                case = services.create_case(actor=officers[0], unit=unit, data=data)
        except DomainError as exc:
            for service_field, messages in (exc.fields or {None: [exc.message]}).items():
                name = SERVICE_FIELDS.get(service_field or "", service_field or "external_ref")
                for message in messages:
                    self.error(number, name, message, ref)
            self.report.error_rows += 1
            return
        self.seen.add((unit.id, REF_PREFIX + ref))
        self.report.created += 1
        if len(self.report.created_numbers) < MAX_ERRORS_KEPT:
            self.report.created_numbers.append(case.number)


def import_cases(path, *, actor=None, unit_code_column: str = "unit") -> ImportReport:
    """Import the cases listed in ``path`` (.xlsx or .csv); see the module docstring.

    ``actor`` is the importing user, or None for the command line: when given, rows naming a
    unit outside the actor's area are refused like unknown units. ``unit_code_column`` names
    the column holding the unit code when it is not one of the usual headers.

    Commits every ``COMMIT_EVERY`` rows and at the end. Raises :class:`ImportFileError` when the
    file cannot be read at all; row problems go to the report (and ``<file>.errors.csv``).
    """
    path = Path(path)
    kind = _sniff(path)
    importer = _Importer(path, actor, unit_code_column)
    rows = _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path)
    try:
        try:
            header = next(rows, None)
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("%(name)s is not a readable CSV file (%(error)s).",
                                    name=path.name, error=exc)) from None
        if header is None:
            raise ImportFileError(_("%(name)s is empty.", name=path.name))
        positions = importer.header(header)
        for number, cells in enumerate(rows, start=2):
            importer.row(number, list(cells), positions)
            if number % COMMIT_EVERY == 0:
                db.session.commit()
        audit.record("cases.import", actor=actor, object_type="cases",
                     detail={"file": path.name, "rows": importer.report.rows,
                             "created": importer.report.created,
                             "skipped": importer.report.skipped,
                             "error_rows": importer.report.error_rows})
        db.session.commit()
    except BaseException:
        importer.abandon_report()
        if hasattr(rows, "close"):
            rows.close()
        raise
    importer.finish_report()
    return importer.report
