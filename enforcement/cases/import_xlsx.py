"""The values of an .xlsx worksheet, row by row, at a third of openpyxl's cost.

openpyxl opens the workbook (and refuses what it cannot read): :func:`open_workbook` is its
``load_workbook(read_only=True, data_only=True)`` but for where each sheet's stated dimension
is looked for. This module then walks the sheet's XML itself and gives exactly what
``sheet.iter_rows(values_only=True)`` of that workbook gives (the tests compare both on
workbooks of every kind of cell). openpyxl builds a dictionary per cell and an object per
inline string; for a 100,000-row import that parse alone would cost a third of the time the
import may take.

It reads openpyxl's own results of opening the workbook (shared strings, date styles, epoch,
the sheet's part and dimensions), some of them private attributes of the pinned version.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator
from functools import lru_cache

from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse  # the parser openpyxl itself uses

_ROW = f"{{{SHEET_MAIN_NS}}}row"
_VALUE = f"{{{SHEET_MAIN_NS}}}v"
_INLINE = f"{{{SHEET_MAIN_NS}}}is"
_TEXT = f"{{{SHEET_MAIN_NS}}}t"
_RUN = f"{{{SHEET_MAIN_NS}}}r"
_DIGITS = "0123456789"


def open_workbook(path):
    """``openpyxl.load_workbook(path, read_only=True, data_only=True)``, the same workbook
    but for one thing: a sheet's stated dimension (``<dimension ref="A1:N100001"/>``) is
    looked for in the head of its XML only, where it stands. openpyxl reads on until the end
    of the cells when a sheet states none (openpyxl's own write-only mode saves none): a
    whole second parse of every such sheet before the first row is read."""
    reader = _Reader(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


class _Sheet(ReadOnlyWorksheet):
    def _get_size(self):
        with self._get_source() as source:
            dimensions = _stated_dimensions(source)
        if dimensions is not None:
            self._min_column, self._min_row, self._max_column, self._max_row = dimensions


def _stated_dimensions(source):
    """openpyxl's ``WorkSheetParser.parse_dimensions``, stopping where the cells begin."""
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            if element.tag == DATA_TAG:
                return None
        elif element.tag == DIMENSION_TAG:
            return SheetDimension.from_tree(element).boundaries
        else:
            element.clear()
    return None


class _Reader(ExcelReader):
    def read_worksheets(self):
        """``ExcelReader.read_worksheets`` of a read-only workbook, with :class:`_Sheet`s."""
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            rels_path = get_rels_path(rel.target)
            if rels_path in self.valid_files:
                get_dependents(self.archive, rels_path)  # refused alike when unreadable
            ws = _Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


@lru_cache(maxsize=1024)
def _column(letters: str) -> int:
    return column_index_from_string(letters)


def _number(text: str):
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _inline_text(element) -> str:
    """An inline string's text: its plain part and its runs', without phonetic guides."""
    if len(element) == 1 and element[0].tag == _TEXT:  # the usual <is><t>…</t></is>
        return element[0].text or ""
    plain, runs = None, []
    for child in element:
        if child.tag == _TEXT:
            plain = child.text
        elif child.tag == _RUN:
            text = None
            for part in child:
                if part.tag == _TEXT:
                    text = part.text
            if text is not None:
                runs.append(text)
    return "".join(([plain] if plain is not None else []) + runs)


class _Cells:
    """The cells of one row as (column, value), as openpyxl's ``WorkSheetParser`` reads them
    with ``data_only``."""

    def __init__(self, workbook, strings):
        self.strings = strings
        self.epoch = workbook.epoch
        self.date_formats = workbook._date_formats
        self.timedelta_formats = workbook._timedelta_formats

    def __call__(self, row) -> list[tuple[int, object]]:
        out = []
        column = 0
        for cell in row:
            kind = cell.get("t", "n")
            coordinate = cell.get("r")
            if coordinate:
                column = _column(coordinate.rstrip(_DIGITS))
            else:
                column += 1
            if kind == "inlineStr":
                child = cell.find(_INLINE)
                out.append((column, None if child is None else _inline_text(child)))
                continue
            value = cell.findtext(_VALUE, None) or None
            if value is not None:
                if kind == "n":
                    value = self._number(cell, value, coordinate)
                elif kind == "s":
                    value = self.strings[int(value)]
                elif kind == "b":
                    value = bool(int(value))
                elif kind == "d":
                    value = from_ISO8601(value)
            out.append((column, value))
        return out

    def _number(self, cell, text: str, coordinate):
        value = _number(text)
        style = cell.get("s", 0)
        style = int(style) if style else style
        if style in self.date_formats:
            try:
                return from_excel(value, self.epoch, timedelta=style in self.timedelta_formats)
            except (OverflowError, ValueError):
                warnings.warn(f"Cell {coordinate} is marked as a date but the serial value "
                              f"{value} is outside the limits for dates. The cell will be "
                              f"treated as an error.", stacklevel=2)
                return "#VALUE!"
        return value


def _row_number(row, previous: int) -> int:
    text = row.get("r")
    if text is None:
        return previous + 1
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(number)


def sheet_values(workbook, sheet) -> Iterator[tuple]:
    """``sheet.iter_rows(values_only=True)`` of a read-only, data-only ``workbook``: rows from
    the first, missing ones as empty rows, as wide as the sheet's stated dimension (else as its
    last cell), cut at the stated last row."""
    max_col, max_row = sheet.max_column, sheet.max_row
    empty = (None,) * max_col if max_col is not None else []
    cells_of = _Cells(workbook, sheet._shared_strings)
    counter, number = 1, 0
    with workbook._archive.open(sheet._worksheet_path) as source:
        for _event, element in iterparse(source):
            if element.tag != _ROW:
                continue
            number = _row_number(element, number)
            if max_row is not None and number > max_row:
                break
            while counter < number:
                counter += 1
                yield empty
            if counter <= number:
                cells = cells_of(element)
                counter += 1
                yield _widen(cells, max_col)
            element.clear()
    if max_row is not None and max_row < number:
        for _ in range(counter, max_row + 1):
            yield empty


def _widen(cells: list[tuple[int, object]], max_col) -> tuple:
    if not cells and not max_col:
        return ()
    width = max_col or cells[-1][0]
    values = [None] * width
    for column, value in cells:
        if 1 <= column <= width:
            values[column - 1] = value
    return tuple(values)
