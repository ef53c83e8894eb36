"""Pagination: numbered pages for HTML lists, opaque keyset cursors for the API."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from core.errors import DomainError
from extensions import db

MAX_ID = 2**31 - 1  # the largest integer key on every supported database


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt: Select, page: Any, per_page: int = 50) -> Page:
    """One page of ``stmt`` (ORM entities); a bad page number means page 1."""
    try:
        page = max(1, int(page))
    except (TypeError, ValueError):
        page = 1
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items, page, per_page, total)


class CursorError(DomainError):
    status = 400
    field = "cursor"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: Optional[str]) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError) as exc:
        raise CursorError(_l("The cursor is not valid; start again without it.")) from exc


def clamp_limit(limit: Optional[int]) -> int:
    cfg = current_app.config
    if limit is None:
        return cfg["API_PAGE_DEFAULT"]
    if limit < 1 or limit > cfg["API_PAGE_MAX"]:
        raise DomainError(_l("limit must be between 1 and %(max)d.", max=cfg["API_PAGE_MAX"]),
                          field="limit")
    return limit


def keyset_page(stmt: Select, id_column, cursor: Optional[str], limit: Optional[int]):
    """Rows after the cursor, ordered by ``id_column``; returns (rows, next_cursor)."""
    limit = clamp_limit(limit)
    after = decode_cursor(cursor)
    rows = db.session.scalars(stmt.where(id_column > after).order_by(id_column)
                              .limit(limit + 1)).all()
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
