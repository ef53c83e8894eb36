"""Archived monthly joint-action reports: immutable versions, one row per (month, version)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.base import UTCDateTime, utcnow
from extensions import db


class MonthlyReport(db.Model):
    """One archived build of a month's report; a rebuild adds a version, none is ever changed.
    The files are stored under ``storage`` area ``reports`` with their SHA-256."""

    __tablename__ = "monthly_reports"
    __shared__ = True  # the city-wide report every user may read (interfaces.md)
    __table_args__ = (UniqueConstraint("month", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    version: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    built_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    html_name: Mapped[str] = mapped_column(String(64))
    html_sha256: Mapped[str] = mapped_column(String(64))
    pdf_name: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    xlsx_name: Mapped[str] = mapped_column(String(64))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
