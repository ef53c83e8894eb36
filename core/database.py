"""Engine set-up: SQLite pragmas and immediate transactions, PostgreSQL via psycopg 3, forks."""
from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import weakref

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine

from extensions import db

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _dispose_after_fork() -> None:
    # A connection opened in the parent must never be used by a forked child (gunicorn workers).
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys and a busy timeout on every connection; BEGIN IMMEDIATE for each
    transaction, so that concurrent writers queue for the lock instead of failing mid-way."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        if _reading_request():
            conn.info[_PENDING] = True  # BEGIN IMMEDIATE before the first write, if any
            return
        conn.info[_PENDING] = False
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def before_execute(conn, cursor, statement, _parameters, context, _executemany):
        if conn.info.get(_PENDING) and _needs_lock(statement, context):
            conn.info[_PENDING] = False
            cursor.connection.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(conn):
        if not conn.invalidated:  # an invalidated connection's info is gone with it
            conn.info[_PENDING] = False


_PENDING = "sqlite_begin_pending"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_READING: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_reading", default=False)


@contextlib.contextmanager
def reading():
    """Work outside a request (a WSGI fast path) that reads like a GET request: on SQLite its
    reads take no lock, and its first write starts the BEGIN IMMEDIATE transaction."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def _reading_request() -> bool:
    """In a GET/HEAD/OPTIONS request, SQLite reads run without a transaction (each statement
    sees the latest committed data, like PostgreSQL's READ COMMITTED) so that concurrent page
    views never queue for the write lock; the first write — or a ``SELECT … FOR UPDATE``
    (``with_for_update()``), which asks for the lock — starts the BEGIN IMMEDIATE transaction
    as every other request, job and command does from its first statement."""
    from flask import has_request_context, request

    if _READING.get():
        return True
    return has_request_context() and request.method in _SAFE_METHODS


def _needs_lock(statement: str, context) -> bool:
    head = statement.lstrip()[:6].upper()
    if head not in ("SELECT", "PRAGMA"):
        return True
    compiled = getattr(context, "compiled", None)
    stmt = getattr(compiled, "statement", None)
    return getattr(stmt, "_for_update_arg", None) is not None


def _insert(model):
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def insert_ignore(model, **values) -> None:
    """INSERT a row unless one with the same unique key exists (ON CONFLICT DO NOTHING), on
    SQLite and PostgreSQL alike: the race-free first half of get-or-create."""
    db.session.execute(_insert(model).values(**values).on_conflict_do_nothing())


def insert_ignore_many(model, rows: list[dict]) -> None:
    """:func:`insert_ignore` for many rows at once (one executemany; the rows must all name
    the same columns)."""
    if rows:
        db.session.execute(_insert(model.__table__).on_conflict_do_nothing(), rows)


def insert_many(table, rows: list[dict], *, ignore_conflicts: bool = False) -> None:
    """``db.session.execute(insert(table), rows)`` (or :func:`insert_ignore_many`'s statement),
    the rows naming the same columns, at a fraction of the cost on SQLite.

    There the statement is compiled once per set of columns and each column's values are
    converted by the column's own type (what SQLAlchemy itself would bind), then the rows go
    to the driver as tuples: SQLAlchemy's parameter building row by row costs more than
    SQLite's insert. Other drivers, and statements that need a default computed per row, go
    through SQLAlchemy as they are.
    """
    if not rows:
        return
    conn = db.session.connection()
    keys = tuple(rows[0])
    plan = _insert_plan(table, keys, ignore_conflicts, conn.dialect)
    if plan is None:
        stmt = _insert(table).on_conflict_do_nothing() if ignore_conflicts else insert(table)
        db.session.execute(stmt, rows)
        return
    sql, order = plan
    columns = [[row[key] for row in rows] for key in keys]
    conn.exec_driver_sql(sql, list(zip(*(_bound(process, columns[index])
                                         for index, process in order))))


def _bound(process, values: list) -> list:
    """``values`` through a bind processor, each distinct object once (the rows of a batch
    share objects: its time, enum members)."""
    if process is None:
        return values
    ids = list(map(id, values))
    objects = dict(zip(ids, values))
    if len(objects) * 2 > len(values):
        return list(map(process, values))
    bound = {key: process(value) for key, value in objects.items()}
    return list(map(bound.__getitem__, ids))


@functools.lru_cache(maxsize=64)
def _insert_plan(table, keys: tuple[str, ...], ignore_conflicts: bool, dialect):
    """(SQL, [(index in ``keys``, bind processor or None)] in parameter order), or None when the
    rows must go through SQLAlchemy."""
    if dialect.name != "sqlite":
        return None
    stmt = insert(table)
    if ignore_conflicts:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing()
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup or []
    if (not compiled.positional or compiled.insert_prefetch or compiled.escaped_bind_names
            or sorted(names) != sorted(keys)):
        return None
    return str(compiled), [(keys.index(name), table.c[name].type.dialect_impl(dialect)
                            .bind_processor(dialect)) for name in names]


def in_array(column, name: str, dialect: str, type_=None):
    """``column IN :name`` with the whole list bound as ONE parameter (a JSON array read by
    ``json_each`` on SQLite, an array on PostgreSQL): the statement is the same for any number
    of values, so it can be built once, and hundreds of values cost no more parameters. Bind
    the values with :func:`array_value`."""
    from sqlalchemy import String, any_, bindparam, func, literal_column, select
    from sqlalchemy.dialects.postgresql import ARRAY

    type_ = type_ or String
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(type_)))
    return column.in_(select(literal_column("value")).select_from(
        func.json_each(bindparam(name, type_=String))))


def array_value(dialect: str, values):
    """The value to bind for an :func:`in_array` parameter."""
    import json

    values = list(values)
    return values if dialect == "postgresql" else json.dumps(values, ensure_ascii=False)


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for both."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def init_app(app) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # a file has no server connection to go stale: no ping before every checkout
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()
            if k != "pool_pre_ping"}
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            _engines.add(engine)
            if engine.dialect.name == "sqlite":
                configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
