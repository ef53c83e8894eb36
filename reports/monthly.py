"""The monthly joint-action report (月度联合执法报告, domain.md §4.4): the period, the registry of
sections, and the archive (immutable versions; a rebuild adds a version).

A section is a function ``build(period) -> dict`` registered with :func:`section`; the report is
the registered sections in order, so later modules (rewards, blacklist) add theirs with
``@section("rewards", _l("Rewards"), order=45)`` without touching this file. A section returns
``{"tables": [{"key", "title", "headers", "rows"}], "figures": {name: number}, "charts": [svg],
"notes": [str]}`` (every key optional).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit, storage
from core.base import local_today, utcnow
from core.errors import DomainError
from extensions import db
from reports.models import MonthlyReport

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Shanghai")
AREA = "reports"
REPORT_LOCALE = "zh_Hans_CN"
MAX_VERSION_ATTEMPTS = 8


@dataclass(frozen=True)
class Period:
    """A calendar month in Asia/Shanghai: ``[start, end)`` as aware datetimes and dates."""

    month: str
    first_day: dt.date

    @property
    def next_first_day(self) -> dt.date:
        d = self.first_day
        return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next_first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), LOCAL)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.next_first_day, dt.time(), LOCAL)

    def previous(self) -> Period:
        return Period.of((self.first_day - dt.timedelta(days=1)).replace(day=1))

    def year_before(self) -> Period:
        return Period.of(self.first_day.replace(year=self.first_day.year - 1))

    @classmethod
    def of(cls, first_day: dt.date) -> Period:
        return cls(first_day.strftime("%Y-%m"), first_day.replace(day=1))


def parse_month(text: str, *, today: Optional[dt.date] = None) -> Period:
    """``YYYY-MM`` as a period; a malformed or future month is refused (field ``month``)."""
    try:
        first = dt.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise DomainError(_l("Give the month as YYYY-MM."), field="month") from None
    today = today or local_today()
    if first > today.replace(day=1):
        raise DomainError(_l("The month %(month)s has not begun yet.", month=text),
                          field="month")
    if first.year < 2000:
        raise DomainError(_l("Give the month as YYYY-MM."), field="month")
    return Period.of(first)


def previous_month(today: Optional[dt.date] = None) -> Period:
    return Period.of((today or local_today()).replace(day=1) - dt.timedelta(days=1))


@dataclass(frozen=True)
class Section:
    key: str
    title: object
    build: Callable[[Period], dict]
    order: int


SECTIONS: dict[str, Section] = {}


def section(key: str, title, *, order: int):
    """Register ``build(period) -> dict`` as a section of the report (re-registering replaces)."""
    def decorator(build):
        SECTIONS[key] = Section(key, title, build, order)
        return build
    return decorator


def registered_sections() -> list[Section]:
    import reports.more_sections  # noqa: F401  (rewards and blacklist)
    import reports.sections  # noqa: F401  (registers the built-in sections)

    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))


def collect(period: Period) -> list[dict]:
    """Every section's content for the period (strings already in the report's language)."""
    out = []
    for sec in registered_sections():
        content = sec.build(period)
        out.append({"key": sec.key, "title": str(sec.title),
                    "tables": [dict(t, title=str(t.get("title", "")),
                                    headers=[str(h) for h in t["headers"]])
                               for t in content.get("tables", [])],
                    "figures": content.get("figures", {}),
                    "charts": content.get("charts", []),
                    "notes": [str(n) for n in content.get("notes", [])]})
    return out


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def to_json(sections: list[dict]) -> dict:
    """The report's numbers as stored JSON (money as decimal strings; charts left out)."""
    stripped = [{k: v for k, v in s.items() if k != "charts"} for s in sections]
    return json.loads(json.dumps({"sections": stripped}, default=_plain, ensure_ascii=False))


def latest(month: str) -> Optional[MonthlyReport]:
    return db.session.scalar(select(MonthlyReport).where(MonthlyReport.month == month)
                             .order_by(MonthlyReport.version.desc()).limit(1))


def build_report(month: str, *, actor=None, today: Optional[dt.date] = None,
                 now: Optional[dt.datetime] = None) -> MonthlyReport:
    """Build the month's report and archive it as a new version (never changing an old one).

    The files are written first (each under a new random name, atomically); the row that makes
    them a version is inserted under the unique (month, version), and a concurrent build that
    took the same number makes this one retry with the next number.
    """
    from reports import render

    period = parse_month(month, today=today)
    now = now or utcnow()
    with force_locale(REPORT_LOCALE):
        sections = collect(period)
        html = render.html(period, sections, built_at=now, for_print=False)
        pdf = render.pdf(render.html(period, sections, built_at=now, for_print=True))
        xlsx = render.xlsx(period, sections, built_at=now)
    files = {kind: storage.save_bytes(AREA, data, mime) for kind, data, mime in (
        ("html", html.encode("utf-8"), "text/html"), ("pdf", pdf, "application/pdf"),
        ("xlsx", xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))}
    data = to_json(sections)
    for _attempt in range(MAX_VERSION_ATTEMPTS):
        version = (db.session.scalar(select(func.max(MonthlyReport.version)).where(
            MonthlyReport.month == period.month)) or 0) + 1
        row = MonthlyReport(month=period.month, version=version, built_at=now,
                            built_by_id=getattr(actor, "id", None), data=data,
                            **{f"{k}_name": f.stored_name for k, f in files.items()},
                            **{f"{k}_sha256": f.sha256 for k, f in files.items()})
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            log.info("report %s version %s taken by a concurrent build; retrying",
                     period.month, version)
            continue
        audit.record("report.monthly_build", actor=actor, object_type="monthly_report",
                     object_id=row.id, unit_id=getattr(actor, "unit_id", None),
                     detail={"month": period.month, "version": version})
        return row
    raise DomainError(_l("Too many reports were built at once; try again."), field="month")


def build_previous_month() -> dict:
    """Scheduler job (1st of the month): record the duties missed last month and build its
    report, once (a report already archived for that month is left alone)."""
    from reports.sections import record_duty_breaches

    period = previous_month()
    breaches = record_duty_breaches(period)
    if latest(period.month) is not None:
        return {"month": period.month, "built": False, "breaches": breaches}
    row = build_report(period.month)
    return {"month": period.month, "built": True, "version": row.version, "breaches": breaches}
