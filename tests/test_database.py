"""Engine set-up: SQLite pragmas, immediate transactions, concurrent writers; migrations drift."""
from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from core.models import Setting
from extensions import db as _db


def test_models_and_migrations_do_not_drift(app, db):
    """Fails when a model changes without a migration (run `flask db migrate`)."""
    connection = _db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_migrations_downgrade_and_upgrade_again(fresh_app):
    with fresh_app.app_context():
        downgrade(revision="base")
        upgrade()
        assert _db.session.execute(text("SELECT count(*) FROM units")).scalar() == 0
        _db.session.remove()


def _sqlite_only(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite-specific")


def test_sqlite_pragmas_on_every_connection(fresh_app):
    _sqlite_only(fresh_app)
    with fresh_app.app_context():
        for _ in range(2):
            with _db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == \
                    fresh_app.config["SQLITE_BUSY_TIMEOUT_MS"]


def test_foreign_keys_are_enforced(fresh_app):
    from sqlalchemy.exc import IntegrityError

    with fresh_app.app_context():
        with pytest.raises(IntegrityError):
            _db.session.execute(text(
                "INSERT INTO units (code, name, kind, department, parent_id, path, depth, "
                "is_active, created_at, updated_at) VALUES ('1', 'x', 'district', 'government', "
                "999, '/', 1, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            _db.session.flush()
        _db.session.rollback()
        _db.session.remove()


def test_concurrent_read_modify_write_does_not_lose_updates(fresh_app):
    """Twelve writers increment one counter: with BEGIN IMMEDIATE (SQLite) or a row lock
    (PostgreSQL) none fails with 'database is locked' and no increment is lost."""
    with fresh_app.app_context():
        _db.session.add(Setting(key="counter", value=0))
        _db.session.commit()
        _db.session.remove()
    errors = []

    def worker():
        try:
            with fresh_app.app_context():
                for _ in range(5):
                    row = _db.session.scalar(
                        select(Setting).where(Setting.key == "counter").with_for_update())
                    row.value = row.value + 1
                    _db.session.commit()
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with fresh_app.app_context():
        assert _db.session.get(Setting, "counter").value == 60
        _db.session.remove()


def test_database_url_is_normalised_to_psycopg3():
    from core.database import normalise_url

    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_no_connection_is_carried_across_a_fork(fresh_app):
    """A forked child (a gunicorn worker) starts with an empty pool, never the parent's socket."""
    import os

    with fresh_app.app_context():
        engine = _db.engine
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert engine.pool.checkedin() >= 1
        pid = os.fork()
        if pid == 0:  # the child: report through the exit code only
            os._exit(0 if engine.pool.checkedin() == 0 else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert engine.pool.checkedin() >= 1  # the parent keeps its own
        _db.session.remove()


def _lock_is_free(app) -> bool:
    """Can another connection take the SQLite write lock right now (without waiting)?"""
    import sqlite3

    other = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"),
                            timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_reading_requests_hold_no_write_lock_until_they_write(fresh_app):
    """GET requests read without queueing for SQLite's write lock; their first write, or a
    SELECT … FOR UPDATE, takes it as BEGIN IMMEDIATE; other requests take it at once."""
    _sqlite_only(fresh_app)
    with fresh_app.test_request_context("/", method="GET"):
        _db.session.scalar(select(Setting).limit(1))
        assert _lock_is_free(fresh_app)
        _db.session.scalar(select(Setting).where(Setting.key == "x").with_for_update())
        assert not _lock_is_free(fresh_app)
        _db.session.rollback()
        _db.session.scalar(select(Setting).limit(1))
        _db.session.add(Setting(key="read-then-write", value=1))
        _db.session.flush()
        assert not _lock_is_free(fresh_app)
        _db.session.commit()
        assert _lock_is_free(fresh_app)
        _db.session.remove()
    with fresh_app.test_request_context("/", method="POST"):
        _db.session.scalar(select(Setting).limit(1))
        assert not _lock_is_free(fresh_app)
        _db.session.rollback()
        _db.session.remove()
    with fresh_app.app_context():
        assert _db.session.get(Setting, "read-then-write").value == 1
        _db.session.remove()


def test_insert_many_stores_what_sqlalchemy_stores(app, db):
    """Rows sharing objects (a batch's time, enum members) and rows of their own, inserted by
    ``insert_many`` and by SQLAlchemy: the same stored text, column for column; on a
    conflict the row is skipped as ON CONFLICT DO NOTHING."""
    import datetime as dt

    from sqlalchemy import insert

    from core.database import insert_many
    from enforcement.people.models import PlateColour, Vehicle, VehicleKind

    now = dt.datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=dt.timezone.utc)
    local = dt.timezone(dt.timedelta(hours=8))

    def rows(prefix):
        out = [{"plate": f"{prefix}{i}", "plate_colour": PlateColour.blue,
                "kind": VehicleKind.car, "make_model": None, "colour": "白",
                "vin": None, "created_at": now} for i in range(6)]
        out.append({"plate": f"{prefix}L", "plate_colour": PlateColour.yellow_green,
                    "kind": VehicleKind.motorcycle, "make_model": "雅马哈", "colour": None,
                    "vin": "LSVAM4187C2184847",
                    "created_at": dt.datetime(2024, 5, 1, 18, 30, tzinfo=local)})
        return out

    _db.session.execute(insert(Vehicle.__table__), rows("渝S"))
    insert_many(Vehicle.__table__, rows("渝M"))
    insert_many(Vehicle.__table__, rows("渝M")[:2] + rows("渝N")[:1], ignore_conflicts=True)

    stored = {prefix: _db.session.execute(text(
        "SELECT substr(plate, 3), plate_colour, kind, make_model, colour, vin, created_at "
        "FROM vehicles WHERE plate LIKE :p ORDER BY id"), {"p": prefix + "%"}).all()
        for prefix in ("渝S", "渝M", "渝N")}
    assert stored["渝M"] == stored["渝S"] and len(stored["渝M"]) == 7
    assert stored["渝N"] == stored["渝S"][:1]
    assert stored["渝M"][6][1:3] == ("yellow_green", "motorcycle")
