"""Read-only statements compiled once and run on the driver's cursor: the fast paths' hottest
look-ups (the token and the plate check) without SQLAlchemy's per-execution work, which costs
about 30 µs against the 5–50 µs of the look-ups themselves.

The statement is still built with ``select()`` (scoped like every other query). SQLAlchemy
compiles it once for the dialect; its bound values (scope, statuses) are processed once; each
column comes back through SQLAlchemy's own result processor for its type, so :meth:`rows`
gives the values ``conn.execute(stmt)`` would (the processors are chosen from the first
run's column types, as SQLAlchemy chooses them). The engine's cursor events do not see these
statements; :data:`OBSERVERS` do. A driver error is raised as SQLAlchemy raises it
(``sqlalchemy.exc.OperationalError``, ...). Only plain SELECTs qualify: a write, a
``FOR UPDATE`` or an expanding ``IN`` list raises at preparation.

    LOOKUP = Prepared.cached(lambda: select(...).where(col == bindparam("x")))
    rows = LOOKUP.rows(conn, {"x": value})
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.exc import DBAPIError

#: Callables given the SQL of every prepared statement run (the engine's cursor events do not
#: see them): the query-count tests listen here.
OBSERVERS: list[Callable[[str], None]] = []


class Prepared:
    """One SELECT compiled for one dialect."""

    def __init__(self, stmt: Select, dialect):
        if not isinstance(stmt, Select) or stmt._for_update_arg is not None:
            raise ValueError("only a plain SELECT can be prepared")
        compiled = stmt.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("an expanding IN list cannot be prepared; bind one array instead")
        self.sql = compiled.string
        self.names = list(compiled.positiontup) if compiled.positional else None
        self.dynamic, self.fixed = {}, {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                if name != bind.key:
                    raise ValueError(f"parameter {bind.key!r} is bound twice")
                self.dynamic[name] = process
            else:
                value = bind.effective_value
                self.fixed[name] = process(value) if process else value
        self.dialect, self.types = dialect, [c.type for c in stmt.selected_columns]
        self.columns = None  # the result processors, from the first run's column types

    def _processors(self, description) -> list[tuple[int, Callable]]:
        """(position, processor) of the columns that have one."""
        found = [t.dialect_impl(self.dialect).result_processor(self.dialect, d[1])
                 for t, d in zip(self.types, description)]
        return [(i, p) for i, p in enumerate(found) if p is not None]

    def rows(self, conn, params: dict[str, Any]) -> list[tuple]:
        """The rows of the statement on ``conn`` (a SQLAlchemy Connection, in its transaction)
        with the required parameters ``params``."""
        values = dict(self.fixed)
        for name, process in self.dynamic.items():
            value = params[name]
            values[name] = process(value) if process else value
        for observe in OBSERVERS:
            observe(self.sql)
        dbapi = self.dialect.loaded_dbapi
        cursor = None
        try:
            cursor = conn.connection.cursor()
            cursor.execute(self.sql, [values[n] for n in self.names] if self.names is not None
                           else values)
            raw = cursor.fetchall()
            if self.columns is None:
                self.columns = self._processors(cursor.description)
            cursor.close()
        except dbapi.Error as err:
            raise self._error(conn, cursor, err, values) from err
        if not self.columns or not raw:
            return [tuple(r) for r in raw]
        columns = list(zip(*raw))  # column by column: the processors run in C's loops
        for i, process in self.columns:
            columns[i] = map(process, columns[i])
        return list(zip(*columns))

    def _error(self, conn, cursor, err: Exception, values: dict) -> DBAPIError:
        """The driver's error as SQLAlchemy raises it (``OperationalError``, ...), the
        connection invalidated when the database has gone, as SQLAlchemy does."""
        gone = self.dialect.is_disconnect(err, conn.connection.dbapi_connection, cursor)
        if gone:
            conn.invalidate(err)
        return DBAPIError.instance(self.sql, values, err, self.dialect.loaded_dbapi.Error,
                                   connection_invalidated=gone, dialect=self.dialect)

    @classmethod
    def cached(cls, build: Callable[[], Select]) -> PerDialect:
        return PerDialect(cls, build)


class PerDialect:
    """A :class:`Prepared` statement per dialect, built at its first use."""

    def __init__(self, cls, build: Callable[[], Select]):
        self.cls, self.build, self.by_dialect = cls, build, {}

    def rows(self, conn, params: dict[str, Any]) -> list[tuple]:
        dialect = conn.dialect
        prepared = self.by_dialect.get(dialect.name)
        if prepared is None:
            prepared = self.by_dialect[dialect.name] = self.cls(self.build(), dialect)
        return prepared.rows(conn, params)
