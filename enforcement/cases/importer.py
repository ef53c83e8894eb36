"""Bulk import of cases from a spreadsheet (.xlsx) or CSV file, with a row-by-row error report.

Each row becomes a draft case under the same rules as the form (``rules.check_new_case``, acted
by the row's first officer) and with the same records as ``services.create_case`` writes: a bad
row leaves nothing behind and its problems are reported with the row number and the column.
Re-running a file changes nothing: a case remembers its row's external reference as
``origin_ref = "import:<ref>"``, and a row whose reference is already known in its unit is
skipped.

The file is read as a stream (openpyxl read-only, csv reader) in batches of ``BATCH_ROWS``
rows: each batch is checked (:mod:`import_rows`), written in a few statements per table
(:mod:`import_writer`) and committed, so memory stays flat however long the file is.

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
import contextlib
import csv
import gc
import logging
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from xml.etree.ElementTree import ParseError

from flask_babel import gettext as _

from core import audit
from core.base import utcnow
from enforcement.cases import import_writer, import_xlsx
from enforcement.cases.import_rows import SKIPPED, BadRow, RowChecker, is_blank, text_of
from extensions import db

log = logging.getLogger(__name__)

BATCH_ROWS = 1000  # rows checked, written and committed together
MAX_ERRORS_KEPT = 1000  # in the report object; the CSV report has them all

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
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="openpyxl")  # other tools' styles
            workbook = import_xlsx.open_workbook(path)
    except Exception as exc:  # zip, XML and openpyxl's own errors: the file is not usable
        raise ImportFileError(_("%(name)s cannot be read as an .xlsx workbook (%(error)s).",
                                name=path.name, error=exc)) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("%(name)s has no worksheet.", name=path.name))
        try:
            yield from import_xlsx.sheet_values(workbook, workbook.worksheets[0])
        except (ParseError, zipfile.BadZipFile, zlib.error, EOFError) as exc:  # the cells
            raise ImportFileError(_("%(name)s cannot be read as an .xlsx workbook (%(error)s).",
                                    name=path.name, error=exc)) from None
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


class _Importer:
    def __init__(self, path: Path, actor, unit_code_column: str):
        self.path, self.actor = path, actor
        self.unit_code_column = unit_code_column
        self.report = ImportReport(path=path)
        self.checker: Optional[RowChecker] = None
        self.sqlite = import_writer.SqliteBulk()
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
                                        a=self.labels[name], b=text_of(cell)))
            positions[name] = index
            self.labels[name] = text_of(cell)
        missing = [n for n in REQUIRED if n not in positions]
        if missing:
            wanted = ", ".join(f"{COLUMNS[n][0]}/{COLUMNS[n][1]}" for n in missing)
            raise ImportFileError(_("The first row must name the columns; missing: %(cols)s.",
                                    cols=wanted))
        return positions

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

    # -- the rows ---------------------------------------------------------------------------
    def run(self, rows: Iterator) -> None:
        """The header, then the rows in batches of ``BATCH_ROWS`` (blank lines left out)."""
        try:
            header = next(rows, None)
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("%(name)s is not a readable CSV file (%(error)s).",
                                    name=self.path.name, error=exc)) from None
        if header is None:
            raise ImportFileError(_("%(name)s is empty.", name=self.path.name))
        self.checker = RowChecker(self.actor, self.header(header))
        batch: list[tuple[int, list]] = []
        for number, cells in enumerate(rows, start=2):
            if is_blank(cells):
                continue  # blank lines are not rows
            self.report.rows += 1
            batch.append((number, list(cells)))
            if len(batch) == BATCH_ROWS:
                self.batch(batch)
                batch = []
        self.batch(batch)

    def batch(self, rows: list[tuple[int, list]]) -> None:
        """Check the rows, report the bad ones, write the good ones; commit."""
        self.sqlite.apply()
        now = utcnow()
        valid = []
        for result in self.checker.check(rows, now):
            if result is SKIPPED:
                self.report.skipped += 1
            elif isinstance(result, BadRow):
                for name, message in result.problems:
                    self.error(result.number, name, message, result.ref)
                self.report.error_rows += 1
            else:
                valid.append(result)
        numbers = import_writer.write_batch(valid, now)
        db.session.commit()
        self.report.created += len(numbers)
        room = MAX_ERRORS_KEPT - len(self.report.created_numbers)
        self.report.created_numbers.extend(numbers[:max(room, 0)])


@contextlib.contextmanager
def _streaming_collector():
    """Python's garbage collector tuned for a long import: what is alive when it starts (the
    app's modules, mappers, translations: some 200,000 objects) is frozen, out of every
    collection, and the youngest generation is collected every 50,000 new objects instead of
    700. Each batch keeps ~100,000 objects alive until it is written; by default they reach the
    oldest generation and set off full collections over everything, a fifth of the import's
    time. Settings restored at the end (nothing unfrozen that was frozen before)."""
    threshold = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if freeze:
            gc.unfreeze()


def import_cases(path, *, actor=None, unit_code_column: str = "unit") -> ImportReport:
    """Import the cases listed in ``path`` (.xlsx or .csv); see the module docstring.

    ``actor`` is the importing user, or None for the command line: when given, rows naming a
    unit outside the actor's area are refused like unknown units. ``unit_code_column`` names
    the column holding the unit code when it is not one of the usual headers.

    Commits every ``BATCH_ROWS`` rows and at the end. Raises :class:`ImportFileError` when the
    file cannot be read at all; row problems go to the report (and ``<file>.errors.csv``).
    """
    path = Path(path)
    kind = _sniff(path)
    importer = _Importer(path, actor, unit_code_column)
    rows = _xlsx_rows(path) if kind == "xlsx" else _csv_rows(path)
    try:
        with _streaming_collector():
            importer.run(rows)
        audit.record("cases.import", actor=actor, object_type="cases",
                     detail={"file": path.name, "rows": importer.report.rows,
                             "created": importer.report.created,
                             "skipped": importer.report.skipped,
                             "error_rows": importer.report.error_rows})
        importer.sqlite.restore()  # before the commit: its checkpoint writes the log back
        db.session.commit()
    except BaseException:
        try:
            importer.sqlite.restore()
        except Exception:  # noqa: BLE001 - the connection may be what failed; say so, go on
            log.warning("case import: SQLite settings not restored", exc_info=True)
        importer.abandon_report()
        if hasattr(rows, "close"):
            rows.close()
        raise
    importer.finish_report()
    return importer.report
