"""Export of exactly the filtered cases, as XLSX (formula-safe) or CSV, streamed in batches."""
from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context
from flask_babel import gettext as _
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from core.exports import neutralise, xlsx_response
from enforcement.cases.models import Case, CaseParty, CaseVehicle
from extensions import db

LOCAL = ZoneInfo("Asia/Shanghai")
BATCH = 1000


def headers() -> list[str]:
    return [_("Case number"), _("Unit"), _("Status"), _("Origin"), _("When it happened"),
            _("Where"), _("Violation"), _("Plates"), _("Parties"), _("Fine (yuan)"),
            _("Registered on"), _("Decided on"), _("Closed on")]


def rows(stmt: Select):
    """One list per case, loading related rows per batch (no N+1)."""
    last_id = None
    while True:
        page = stmt.order_by(Case.id.desc())
        if last_id is not None:
            page = page.where(Case.id < last_id)
        cases = db.session.scalars(page.limit(BATCH).options(
            selectinload(Case.unit), selectinload(Case.violation_type),
            selectinload(Case.vehicles).selectinload(CaseVehicle.vehicle),
            selectinload(Case.parties).selectinload(CaseParty.person))).all()
        if not cases:
            return
        for c in cases:
            yield [c.number, c.unit.name, c.status.value, c.origin.value,
                   c.occurred_at.astimezone(LOCAL).replace(tzinfo=None), c.address,
                   c.violation_type.code if c.violation_type else "",
                   " ".join(v.vehicle.plate for v in c.vehicles),
                   " ".join(p.person.name for p in c.parties),
                   c.fine_amount, c.registered_on, c.decided_on, c.closed_on]
        last_id = cases[-1].id
        db.session.expunge_all()


def export(stmt: Select, fmt: str) -> Response:
    if fmt == "xlsx":
        return xlsx_response(_("cases") + ".xlsx", _("Cases"), headers(), rows(stmt))

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # so that Excel opens the UTF-8 file correctly
        writer.writerow(headers())
        for row in rows(stmt):
            writer.writerow(["" if v is None else neutralise(v) for v in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response
