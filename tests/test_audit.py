"""The audit log: hash chain, append-only in the database, gap-free under concurrent writers."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from core import audit
from core.audit import AuditLog
from extensions import db as _db


def _append(n, **kw):
    for i in range(n):
        audit.record("test.event", actor=None, object_type="thing", object_id=i,
                     detail={"i": i, "名": "张三"}, **kw)


def test_rows_are_chained(app, db):
    _append(3)
    rows = _db.session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
    assert [r.seq for r in rows][-3:] == [rows[-3].seq, rows[-3].seq + 1, rows[-3].seq + 2]
    for prev, row in zip(rows, rows[1:]):
        assert row.prev_hash == prev.hash
    assert audit.verify().ok


def test_record_many_continues_the_chain_like_record(app, db):
    _append(1)
    count = audit.record_many([{"action": "test.bulk", "actor": "importer",
                                "object_type": "thing", "object_id": i, "unit_id": None,
                                "detail": {"i": i}} for i in range(4)])
    _append(1)
    assert count == 4
    rows = _db.session.scalars(select(AuditLog).order_by(AuditLog.seq.desc()).limit(6)).all()[::-1]
    assert [r.action for r in rows] == ["test.event"] + ["test.bulk"] * 4 + ["test.event"]
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 6))
    assert [r.object_id for r in rows[1:5]] == ["0", "1", "2", "3"]
    assert rows[1].actor_name == "importer" and rows[2].detail == '{"i": 1}'
    assert audit.verify().ok
    assert audit.record_many([]) == 0


def test_a_batch_keeps_the_chain_across_commits_and_rollbacks(fresh_app):
    """In batch mode the chain's end is kept in memory: the chain stays whole and gap-free when
    the batch commits half-way, when a savepoint is rolled back, when record_many appends in
    between, and when another writer appends between two transactions."""
    with fresh_app.app_context():
        with audit.batch():
            _append(3)
            _db.session.commit()
            _append(2)
            with pytest.raises(RuntimeError):
                with _db.session.begin_nested():
                    _append(2)
                    raise RuntimeError("undo the savepoint")
            _append(1)
            audit.record_many([{"action": "test.bulk", "actor": None, "object_type": "thing",
                                "object_id": i} for i in range(2)])
            _append(1)
        _db.session.commit()
        audit.record("test.plain", actor=None, object_type="thing")  # outside the batch
        _db.session.commit()
        with audit.batch():
            _append(2)
            _db.session.rollback()
            _append(1)
        _db.session.commit()
        seqs = _db.session.scalars(select(AuditLog.seq).order_by(AuditLog.seq)).all()
        assert seqs == list(range(1, 12))
        assert audit.verify() == audit.VerifyResult(True, 11)
        _db.session.remove()


def test_update_and_delete_are_refused_by_the_database(app, db):
    _append(1)
    with pytest.raises(DatabaseError):
        with _db.session.begin_nested():
            _db.session.execute(text("UPDATE audit_log SET action = 'forged'"))
    with pytest.raises(DatabaseError):
        with _db.session.begin_nested():
            _db.session.execute(text("DELETE FROM audit_log"))


def _drop_guards(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_log_no_update ON audit_log"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_verify_names_the_first_tampered_row(app, db):
    """Someone with DDL rights drops the trigger and edits a row: verify points at it."""
    _append(5)
    seqs = _db.session.scalars(select(AuditLog.seq).order_by(AuditLog.seq)).all()
    target = seqs[-3]
    _drop_guards(_db.session)
    _db.session.execute(text("UPDATE audit_log SET detail = '{\"i\": 99}' WHERE seq = :s"),
                        {"s": target})
    result = audit.verify()
    assert not result.ok and result.broken_seq == target
    assert "hash" in result.reason


def test_verify_detects_a_deleted_row(app, db):
    _append(4)
    seqs = _db.session.scalars(select(AuditLog.seq).order_by(AuditLog.seq)).all()
    _drop_guards(_db.session)
    _db.session.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": seqs[-2]})
    result = audit.verify()
    assert not result.ok and result.broken_seq == seqs[-2]


def test_verify_cli_reports_ok_and_broken(app, db, runner):
    _append(2)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    last = _db.session.scalar(select(func.max(AuditLog.seq)))
    _drop_guards(_db.session)
    _db.session.execute(text("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = :s"),
                        {"s": last})
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"seq={last}" in broken.output


def test_concurrent_appends_leave_no_gaps(fresh_app):
    """Eight workers append at once, each in its own transaction: the sequence stays gap-free."""
    errors = []

    def worker(n):
        try:
            with fresh_app.app_context():
                for i in range(5):
                    audit.record("test.concurrent", actor=f"w{n}", object_type="thing",
                                 object_id=i)
                    _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with fresh_app.app_context():
        seqs = _db.session.scalars(select(AuditLog.seq).order_by(AuditLog.seq)).all()
        assert seqs == list(range(1, 41))
        assert audit.verify().ok
        _db.session.remove()


def test_state_changes_are_audited(app, db, tree):
    from core import services
    from core.models import UnitKind

    before = _db.session.scalar(select(func.count()).select_from(AuditLog))
    unit = services.create_unit(actor=None, code="500112002", name="测试街道",
                                kind=UnitKind.street, parent=tree["north"])
    row = _db.session.scalar(select(AuditLog).order_by(AuditLog.seq.desc()).limit(1))
    assert _db.session.scalar(select(func.count()).select_from(AuditLog)) == before + 1
    assert (row.action, row.object_type, row.object_id, row.unit_id) == \
        ("unit.create", "unit", str(unit.id), unit.id)
