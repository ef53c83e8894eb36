"""The change feed (数据共享): signed opaque cursors, the changes since one, the bulk export, and
``sync``, which pulls another instance's feed into :class:`RemoteEntry` rows.

A consumer that applies every change in order (an entry whose status is ``listed`` or
``published`` is put in its list under the entry's stable ``id``; any other status takes it out)
ends with exactly the list that :func:`export_entries` returns for the same token.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Optional
from urllib.parse import urlencode, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from blacklist import queries
from blacklist.models import (
    ACTIVE,
    BlacklistEntry,
    EntryEvent,
    RemoteEntry,
    SyncSource,
)
from blacklist.services import snapshot
from core import plates, settings
from core.base import utcnow
from core.errors import DomainError
from core.pagination import clamp_limit
from extensions import db

log = logging.getLogger(__name__)
settings.define("blacklist.feed_cursor_max_age_days", 30, "days a change-feed cursor stays "
                "valid; an older one must start again from the bulk export", minimum=1)
ACTIVE_VALUES = frozenset(s.value for s in ACTIVE)


class CursorInvalid(DomainError):
    status = 400
    code = "bad_cursor"
    field = "since"


class CursorExpired(DomainError):
    status = 410
    code = "cursor_expired"
    field = "since"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="blacklist-feed")


def encode_cursor(actor, after: int) -> str:
    return _serializer().dumps({"after": after, "unit": actor.unit_id})


def decode_cursor(actor, cursor: Optional[str]) -> int:
    """The last event id a cursor points after; 400 when tampered with or issued to another
    unit, 410 when older than the configured age."""
    if not cursor:
        return 0
    max_age = settings.get("blacklist.feed_cursor_max_age_days") * 86400
    try:
        data = _serializer().loads(cursor, max_age=max_age)
    except SignatureExpired:
        raise CursorExpired(_l("The cursor is too old; load the bulk export and follow the "
                               "feed from its cursor.")) from None
    except BadSignature:
        raise CursorInvalid(_l("The cursor is not valid; start again without it.")) from None
    after = data.get("after") if isinstance(data, dict) else None
    if not isinstance(after, int) or isinstance(after, bool) or after < 0 \
            or data.get("unit") != actor.unit_id:
        raise CursorInvalid(_l("The cursor is not valid; start again without it."))
    return after


def change(event: EntryEvent) -> dict:
    data = event.snapshot
    return {"id": event.feed_seq, "entry_id": data.get("id"), "subject": data.get("subject"),
            "event": event.event, "at": event.at.isoformat(), "status": data.get("status"),
            "entry": data}


def changes(actor, since: Optional[str], limit: Optional[int] = None) -> dict:
    limit = clamp_limit(limit)
    after = decode_cursor(actor, since)
    rows = db.session.scalars(queries.feed_events(actor).where(EntryEvent.feed_seq > after)
                              .order_by(EntryEvent.feed_seq).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].feed_seq if rows else after
    return {"changes": [change(e) for e in rows], "next_cursor": encode_cursor(actor, last),
            "has_more": has_more}


def export_entries(actor) -> dict:
    """Every entry on the list that the actor may see, and a cursor to follow the feed from."""
    last = db.session.scalar(select(func.max(EntryEvent.feed_seq))) or 0
    entries = db.session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.status.in_(ACTIVE), queries.entry_visible(actor))
        .order_by(BlacklistEntry.id)).all()
    return {"entries": [snapshot(e) for e in entries], "cursor": encode_cursor(actor, last)}


def apply_changes(store: dict, items: list[dict]) -> dict:
    """Replay changes into ``store`` (entry id → entry): pure, what any consumer does."""
    for item in items:
        entry = item["entry"]
        if entry.get("status") in ACTIVE_VALUES:
            store[entry["id"]] = entry
        else:
            store.pop(entry["id"], None)
    return store


# --- pulling another instance's feed -----------------------------------------------------------

Fetch = Callable[[str, dict], tuple[int, dict]]


class SyncError(RuntimeError):
    """The other instance could not be read (bad URL, refused token, unexpected answer)."""


def http_fetch(url: str, headers: dict) -> tuple[int, dict]:
    """GET ``url`` and parse the JSON answer (no proxies, 30 s timeout)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise SyncError(f"not an http(s) URL: {url[:100]}")
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked above
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read().decode("utf-8"))
        except ValueError:
            body = {}
        return exc.code, body


def sync(base_url: str, token: str, *, fetch: Optional[Fetch] = None,
         max_pages: int = 10_000) -> dict:
    """Pull the changes of the instance at ``base_url`` since the stored cursor and apply them;
    a cursor that has become too old (410) starts again from the beginning."""
    fetch = fetch or http_fetch
    base_url = base_url.rstrip("/")
    source = db.session.scalar(select(SyncSource).where(SyncSource.url == base_url))
    if source is None:
        source = SyncSource(url=base_url)
        db.session.add(source)
        db.session.flush()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    applied = pages = 0
    restarted = False
    while pages < max_pages:
        query = {"limit": 500, **({"since": source.cursor} if source.cursor else {})}
        status, body = fetch(f"{base_url}/api/v1/blacklist/changes?{urlencode(query)}", headers)
        if status == 410 and not restarted:
            log.warning("blacklist sync %s: cursor expired, replaying from the start", base_url)
            source.cursor, restarted = None, True
            for row in db.session.scalars(select(RemoteEntry).where(
                    RemoteEntry.source_id == source.id)):
                db.session.delete(row)
            continue
        if status != 200:
            message = (body.get("error") or {}).get("message", "") if isinstance(body, dict) \
                else ""
            raise SyncError(f"{base_url} answered {status}: {message}")
        for item in body.get("changes", []):
            _apply_remote(source, item)
            applied += 1
        source.cursor = body.get("next_cursor") or source.cursor
        pages += 1
        if not body.get("has_more"):
            break
    source.last_synced_at = utcnow()
    db.session.flush()
    listed = db.session.scalar(select(func.count(RemoteEntry.id)).where(
        RemoteEntry.source_id == source.id, RemoteEntry.status.in_(ACTIVE_VALUES)))
    return {"applied": applied, "listed": listed, "restarted": restarted}


def _apply_remote(source: SyncSource, item: dict) -> None:
    entry = item.get("entry") or {}
    uid = str(entry.get("id") or "")[:32]
    if not uid:
        return
    row = db.session.scalar(select(RemoteEntry).where(RemoteEntry.source_id == source.id,
                                                      RemoteEntry.uid == uid))
    if row is None:
        row = RemoteEntry(source_id=source.id, uid=uid, last_event_id=0, data={}, status="")
        db.session.add(row)
    row.status = str(entry.get("status") or "")[:16]
    row.plate = plates.normalise_plate(entry.get("plate") or "")[:16] or None
    row.data = entry
    row.last_event_id = int(item.get("id") or 0)
    db.session.flush()


def remote_list(source_url: str) -> dict:
    """The list as mirrored from ``source_url``: entry id → entry."""
    source = db.session.scalar(select(SyncSource).where(SyncSource.url == source_url.rstrip("/")))
    if source is None:
        return {}
    rows = db.session.scalars(select(RemoteEntry).where(
        RemoteEntry.source_id == source.id, RemoteEntry.status.in_(ACTIVE_VALUES)))
    return {r.uid: r.data for r in rows}
