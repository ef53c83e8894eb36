"""XLSX export of lists (openpyxl, write-only, streamed), safe against spreadsheet formulas."""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

# A cell starting with one of these is read as a formula (or DDE) by Excel, WPS and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """Make a value safe for a cell: strings that would be formulas get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (bool, int, float, dt.date, dt.datetime)) or value is None:
        return value
    return str(value)


def build_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Write one sheet with a bold header row and the rows; returns the file's bytes."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Sheet1")
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=neutralise(str(text)))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, title: str, headers, rows) -> Response:
    data = build_xlsx(title, headers, rows)
    response = Response(data, mimetype=XLSX_MIME)
    from urllib.parse import quote

    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
