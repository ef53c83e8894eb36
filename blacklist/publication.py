"""Publication batches (定期曝光): frozen snapshots of what is listed, published as a page, a PDF
and a CSV. Every public output goes through :func:`public_rows`, which drops entries that have
ended since (they leave every public output at once) and masks through the one policy."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Optional

from flask import current_app, has_request_context, render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from blacklist import masking, queries, rules, services
from blacklist.models import (
    BatchItem,
    BlacklistEntry,
    EntryStatus,
    ListKind,
    PublicationBatch,
)
from core import scoping
from core.base import local_today, utcnow
from core.errors import ConflictError, DomainError
from extensions import db

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PUBLISHABLE = (EntryStatus.listed, EntryStatus.published)


def _check_period(period: str) -> str:
    if not PERIOD_RE.fullmatch(period or ""):
        raise DomainError(_l("Give the period as YYYY-MM."), field="period")
    return period


def publish_batch(*, actor, period: str, entry_ids: Optional[list[int]] = None,
                  today: Optional[dt.date] = None) -> PublicationBatch:
    """Freeze what is listed in the actor's area (or the chosen entries) into a new batch; the
    listed entries become published. An entry still in its objection period, or otherwise not
    listed, refuses the whole batch (409)."""
    services._require(actor, services.OFFICES, _l("Only the supervision office publishes."))
    period = _check_period(period)
    today = today or local_today()
    if entry_ids is not None:
        entries = []
        for entry_id in entry_ids:
            entry = db.session.get(BlacklistEntry, entry_id)
            if entry is None or not scoping.can_see_unit(actor, entry.unit):
                raise DomainError(_l("Unknown entry."), field="entry_ids")
            if services.in_objection_period(entry, today):
                raise ConflictError(_l("Entry %(id)s is still in its objection period.",
                                       id=entry.id), field="entry_ids")
            if entry.status not in PUBLISHABLE or entry.list_kind is not ListKind.blacklist:
                raise ConflictError(_l("Entry %(id)s is not listed.", id=entry.id),
                                    field="entry_ids")
            entries.append(entry)
    else:
        entries = db.session.scalars(scoping.scoped(
            select(BlacklistEntry).where(BlacklistEntry.status.in_(PUBLISHABLE),
                                         BlacklistEntry.list_kind == ListKind.blacklist),
            actor, BlacklistEntry.unit_id).order_by(BlacklistEntry.id)).all()
    if not entries:
        raise ConflictError(_l("Nothing is listed to publish."), field="period")
    batch = _new_batch(actor, period)
    now = utcnow()
    for entry in entries:
        if entry.status is EntryStatus.listed:
            source = entry.status
            entry.status, entry.published_by_id = EntryStatus.published, actor.id
            entry.first_published_at = entry.first_published_at or now
            services.record_event(entry, "published", source, actor=actor, note=batch.number)
        batch.items.append(BatchItem(entry=entry, public=frozen(entry)))
    db.session.flush()
    return batch


def _new_batch(actor, period: str) -> PublicationBatch:
    """A batch with the next free number of the unit and period; a number taken by a concurrent
    publication is skipped (the unique constraint decides, inside a savepoint)."""
    seq = db.session.scalar(select(func.count(PublicationBatch.id)).where(
        PublicationBatch.unit_id == actor.unit_id, PublicationBatch.period == period))
    for _attempt in range(20):
        seq += 1
        batch = PublicationBatch(number=f"{actor.unit.code}-{period}-{seq:02d}", period=period,
                                 unit_id=actor.unit_id, published_by_id=actor.id,
                                 published_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(batch)
                db.session.flush()
            return batch
        except IntegrityError:
            continue
    raise ConflictError(_l("Another batch is being published; try again."), field="period")


def frozen(entry: BlacklistEntry) -> dict:
    """What a batch keeps of an entry: its snapshot at publication plus the words shown."""
    data = services.snapshot(entry)
    data["rule"] = rules.rule_label(entry.rule_code)
    data["unit_name"] = entry.unit.name
    return data


def latest_batch() -> Optional[PublicationBatch]:
    return db.session.scalar(select(PublicationBatch).order_by(
        PublicationBatch.published_at.desc(), PublicationBatch.id.desc()).limit(1))


def batches(limit: int = 60) -> list[PublicationBatch]:
    return db.session.scalars(select(PublicationBatch).order_by(
        PublicationBatch.published_at.desc(), PublicationBatch.id.desc()).limit(limit)).all()


def public_rows(batch: Optional[PublicationBatch]) -> list[dict]:
    """The batch's entries that are still published, masked: the only data public outputs use."""
    if batch is None:
        return []
    stmt = (select(BatchItem.public).join(BlacklistEntry, BlacklistEntry.id == BatchItem.entry_id)
            .where(BatchItem.batch_id == batch.id,
                   BlacklistEntry.status.in_(queries.PUBLIC_STATUSES))
            .order_by(BatchItem.id))
    return [masking.public_fields(data) for data in db.session.scalars(stmt)]


CSV_HEADERS = {"plate": "号牌号码", "plate_colour": "号牌颜色", "name": "姓名",
               "id_no": "身份证号码", "area": "重点区域", "rule": "列入事由",
               "starts_on": "列入日期", "ends_on": "移出日期", "unit_name": "列入单位"}


def batch_csv(batch: PublicationBatch) -> bytes:
    """The batch as CSV (UTF-8 with BOM, so that Excel opens the Chinese correctly)."""
    from core.exports import neutralise

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["批次", *CSV_HEADERS.values()])
    for row in public_rows(batch):
        writer.writerow([batch.number, *(neutralise(row.get(k) or "") for k in CSV_HEADERS)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def batch_html(batch: PublicationBatch, *, for_pdf: bool = False) -> str:
    template = "blacklist/publication_pdf.html" if for_pdf else "blacklist/public_batch.html"
    context = {"batch": batch, "rows": public_rows(batch), "headers": CSV_HEADERS,
               "generated_on": local_today()}
    if has_request_context():
        return render_template(template, **context)
    return current_app.jinja_env.get_template(template).render(**context)


def batch_pdf(batch: PublicationBatch) -> bytes:
    """The batch as an A4 PDF with the system's CJK font (as the case documents)."""
    from pathlib import Path

    from enforcement import documents

    weasyprint, _fetcher, _refused = documents._weasyprint()
    static_root = Path(current_app.static_folder)
    html = batch_html(batch, for_pdf=True)
    return weasyprint.HTML(string=html, base_url=static_root.as_uri() + "/",
                           url_fetcher=documents.url_fetcher([static_root])).write_pdf()
