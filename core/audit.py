"""The tamper-evident audit log: an append-only, hash-chained table.

Every state change and every read of protected personal data calls :func:`record`. Each row stores
the previous row's hash and its own hash over its content, so that editing or deleting any row breaks
the chain at that row; :func:`verify` names the first broken row. The database itself refuses
UPDATE and DELETE on the table (triggers created by the migration).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import ForeignKey, Integer, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.base import UTCDateTime, utcnow
from core.database import insert_many
from extensions import db

GENESIS_HASH = "0" * 64
# Any constant identifies the lock that serialises appends on PostgreSQL.
PG_AUDIT_LOCK_KEY = 7_261_001
# session.info keys of batch mode (see :func:`batch`)
_BATCH, _NEXT = "audit_batch", "audit_next_link"


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __unit_column__ = "unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[Optional[str]] = mapped_column(String(64))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def row_hash(
    *, seq: int, at: dt.datetime, actor_id, actor_name: str, action: str, object_type: str,
    object_id, unit_id, detail: str, prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of a row's content and the previous hash."""
    payload = json.dumps(
        [seq, at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"), actor_id,
         actor_name, action, object_type, object_id, unit_id, detail, prev_hash],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _last_link(session) -> tuple[int, str]:
    """The next sequence number and the hash to chain to, once appends are serialised: on
    SQLite the read of the last row asks for the write lock (``with_for_update`` starts
    ``BEGIN IMMEDIATE`` even in a request that has only read so far); PostgreSQL takes a
    transaction-level advisory lock."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_AUDIT_LOCK_KEY})
    last_row = select(AuditLog.seq, AuditLog.hash).order_by(AuditLog.seq.desc()).limit(1)
    last = session.execute(last_row if postgres else last_row.with_for_update()).first()
    return (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)


def _next_link(session) -> tuple[int, str]:
    """:func:`_last_link`, or inside :func:`batch` the link kept since the last append."""
    kept = session.info.get(_NEXT) if session.info.get(_BATCH) else None
    return kept or _last_link(session)


def _keep_link(session, seq: int, prev_hash: str) -> None:
    if session.info.get(_BATCH):
        session.info[_NEXT] = (seq, prev_hash)


def _values(*, seq: int, prev_hash: str, at: dt.datetime, action: str, actor, object_type: str,
            object_id: Any = None, unit_id: Optional[int] = None,
            detail: Optional[dict] = None) -> dict:
    """The columns of one row of the chain, its hash included."""
    actor_id = getattr(actor, "id", None)
    actor_name = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "system")
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    object_id = None if object_id is None else str(object_id)
    return dict(
        seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
        object_type=object_type, object_id=object_id, unit_id=unit_id, detail=detail_text,
        prev_hash=prev_hash,
        hash=row_hash(seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
                      object_type=object_type, object_id=object_id, unit_id=unit_id,
                      detail=detail_text, prev_hash=prev_hash),
    )


def record(
    action: str,
    *,
    actor=None,
    object_type: str,
    object_id: Any = None,
    unit_id: Optional[int] = None,
    detail: Optional[dict] = None,
) -> AuditLog:
    """Append one row to the chain inside the caller's transaction (flushes, never commits;
    inside :func:`batch` the row goes out with the next flush).

    Appends are serialised so the sequence has no gaps (see :func:`_last_link`).
    """
    session = db.session()
    seq, prev_hash = _next_link(session)
    entry = AuditLog(**_values(seq=seq, prev_hash=prev_hash, at=utcnow(), action=action,
                               actor=actor, object_type=object_type, object_id=object_id,
                               unit_id=unit_id, detail=detail))
    session.add(entry)
    if session.info.get(_BATCH):
        _keep_link(session, seq + 1, entry.hash)
    else:
        session.flush()
    return entry


def record_many(entries: Iterable[dict]) -> int:
    """Append several rows at once, each ``entry`` the keyword arguments of :func:`record`:
    one lock, one read of the chain's end, one executemany (for bulk imports, where a
    :func:`record` per row would cost more than the rows themselves). Returns the count."""
    session = db.session()
    seq, prev_hash = _next_link(session)
    at = utcnow()
    rows = []
    for entry in entries:
        values = _values(seq=seq, prev_hash=prev_hash, at=at, **entry)
        rows.append(values)
        seq, prev_hash = seq + 1, values["hash"]
    if rows:
        insert_many(AuditLog.__table__, rows)
        _keep_link(session, seq, prev_hash)
    return len(rows)


@contextmanager
def batch() -> Iterator[None]:
    """Many appends in one transaction (demo data, bulk jobs): the chain's end is read (and the
    append lock taken) once, then kept in memory, and :func:`record`'s rows are flushed with the
    caller's next flush instead of one by one. The lock is held until the transaction ends, so
    no other writer can append in between; a commit or rollback forgets the kept link, and the
    next append reads it again under the lock."""
    session = db.session()
    outer = session.info.get(_BATCH, False)
    session.info[_BATCH] = True
    try:
        yield
        session.flush()
    finally:
        if not outer:
            session.info.pop(_BATCH, None)
            session.info.pop(_NEXT, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_link(session, *_args) -> None:
    session.info.pop(_NEXT, None)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: Optional[int] = None
    reason: str = ""


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in order and report the first row whose link or hash does not match."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(AuditLog).where(AuditLog.seq > last_seq).order_by(AuditLog.seq).limit(batch_size)
        ).scalars().all()
        if not rows:
            return VerifyResult(True, checked)
        for row in rows:
            if row.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "row missing from the sequence")
            if row.prev_hash != prev_hash:
                return VerifyResult(False, checked, row.seq, "link to the previous row broken")
            computed = row_hash(
                seq=row.seq, at=row.at, actor_id=row.actor_id, actor_name=row.actor_name,
                action=row.action, object_type=row.object_type, object_id=row.object_id,
                unit_id=row.unit_id, detail=row.detail, prev_hash=row.prev_hash,
            )
            if computed != row.hash:
                return VerifyResult(False, checked, row.seq, "content does not match its hash")
            prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
            last_seq = row.seq
        db.session.expunge_all()


SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
PG_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]
