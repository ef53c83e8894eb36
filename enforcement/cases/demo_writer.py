"""Demo cases: the fast writer (Core ``insert()`` executemany, raw SQL on SQLite), the values in
the form the driver takes, the counters and sequences, and the SQLite bulk-load settings.
See :mod:`enforcement.cases.demo`."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
from decimal import Decimal
from typing import Optional

from sqlalchemy import bindparam, func, insert, literal_column, select, text, update

from enforcement.cases.demo_data import UTC
from enforcement.cases.models import (
    Case,
    CaseClock,
    CaseCounter,
    CaseOfficer,
    CaseParty,
    CaseStep,
    CaseVehicle,
)
from enforcement.people.models import Person, Vehicle


class _Writer:
    """Executemany of one table's Core ``insert()``, rows given as tuples in table order.

    On SQLite the compiled statement goes straight to the driver, several rows per statement,
    with values already in the form SQLAlchemy's types store (ISO text for times and dates,
    floats for money, JSON text); per-value type processing would otherwise cost more than the
    inserts. Elsewhere (PostgreSQL) rows go through SQLAlchemy as dictionaries. ``constants``
    are columns with the same value in every row, written into the statement.
    """

    def __init__(self, conn, table, columns: tuple[str, ...], constants: Optional[dict] = None):
        self.conn, self.columns = conn, columns
        self.stmt = insert(table)
        if constants:
            self.stmt = self.stmt.values({k: literal_column(f"'{v}'") for k, v in
                                          constants.items()})
        self.single = None
        if conn.dialect.name == "sqlite":
            compiled = self.stmt.compile(dialect=conn.dialect, column_keys=list(columns))
            if tuple(compiled.positiontup) != columns:  # the rows are tuples in this order
                raise ValueError(f"columns {columns} are not in the table's order")
            self.single = str(compiled)
            head, values = self.single.split(" VALUES ", 1)
            limit = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
            self.per = max(1, min(200, limit // len(columns)))
            self.multi = f"{head} VALUES {', '.join([values] * self.per)}"

    def __call__(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.single is None:
            self.conn.execute(self.stmt, [dict(zip(self.columns, r)) for r in rows])
            return
        per = self.per
        full = len(rows) - len(rows) % per
        if full:
            chain = itertools.chain.from_iterable
            self.conn.exec_driver_sql(self.multi, [tuple(chain(rows[i:i + per]))
                                                   for i in range(0, full, per)])
        if full < len(rows):
            self.conn.exec_driver_sql(self.single, rows[full:])


def _writers(conn) -> dict[str, _Writer]:
    step = ("case_id", "actor_id", "at", "data")
    clock = ("case_id", "start_on", "due_on", "done_on")
    writers = {
        "vehicles": _Writer(conn, Vehicle.__table__, (
            "id", "plate", "plate_colour", "kind", "make_model", "colour", "vin", "created_at")),
        "persons": _Writer(conn, Person.__table__, (
            "id", "name", "id_number", "phone", "address", "is_company", "created_at")),
        "cases": _Writer(conn, Case.__table__, CASE_COLUMNS),
        "officers": _Writer(conn, CaseOfficer.__table__, ("case_id", "user_id")),
        "case_vehicles": _Writer(conn, CaseVehicle.__table__,
                                 ("case_id", "vehicle_id", "is_fake_plate")),
        "parties": _Writer(conn, CaseParty.__table__, ("case_id", "person_id", "role")),
        "create_steps": _Writer(conn, CaseStep.__table__, step, {
            "action": "create", "from_status": "draft", "to_status": "draft", "note": ""}),
        "steps": _Writer(conn, CaseStep.__table__, (
            "case_id", "from_status", "to_status", "actor_id", "at", "note", "data"),
            {"action": "transition"}),
    }
    for name in CLOCKS:
        writers[name] = _Writer(conn, CaseClock.__table__, clock, {"name": name})
    return writers


CLOCKS = ("decision", "statement", "fine_payment")
CASE_COLUMNS = (
    "id", "number", "unit_id", "year", "seq", "status", "origin", "origin_ref", "occurred_at",
    "address", "lat", "lng", "violation_type_id", "facts", "documents_detained",
    "created_by_id", "created_at", "updated_at", "registered_on", "notified_on", "decided_on",
    "executed_on", "closed_on", "tier", "proposed_fine", "fine_amount", "confiscated_amount",
    "is_penalty_flagged", "penalty_justification", "statement_waived", "paid_on", "receipt_no",
    "court_enforcement_on", "transferred_to", "withdraw_reason")
ROW_LISTS = ("cases", "officers", "case_vehicles", "parties", "create_steps", "steps") + CLOCKS


def _next_id(conn, column) -> int:
    return (conn.scalar(select(func.max(column))) or 0) + 1


def _counters(conn) -> dict[tuple[int, int], int]:
    """The last sequence issued per (unit, year): the counters, or the cases if ahead of them."""
    last = {(u, y): s for u, y, s in conn.execute(
        select(CaseCounter.unit_id, CaseCounter.year, CaseCounter.last_seq))}
    for u, y, s in conn.execute(select(Case.unit_id, Case.year, func.max(Case.seq))
                                .group_by(Case.unit_id, Case.year)):
        last[(u, y)] = max(last.get((u, y), 0), s or 0)
    return last


def _save_counters(conn, before: dict, after: dict) -> None:
    for (unit_id, year), seq in sorted(after.items()):
        if before.get((unit_id, year)) == seq:
            continue
        done = conn.execute(update(CaseCounter).where(CaseCounter.unit_id == unit_id,
                                                       CaseCounter.year == year)
                            .values(last_seq=seq)).rowcount
        if not done:
            conn.execute(insert(CaseCounter).values(unit_id=unit_id, year=year, last_seq=seq))


def _fix_sequences(conn) -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("cases", "vehicles", "persons"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                          f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


BULK_TABLES = ("cases", "case_officers", "case_vehicles", "case_parties", "case_steps",
               "case_clocks", "vehicles", "persons")


class _SqliteBulk:
    """SQLite settings for a load on this connection, restored afterwards.

    * a larger page cache: the load inserts into indexes at random places (plates, persons),
      which the default 2 MB cache turns into I/O;
    * CHECK constraints not evaluated: SQLite rebuilds the ``status IN (…)`` list of every
      enum column for every row inserted, which costs more than the insert itself. The rows are
      valid by construction (enum values from the models, amounts and points in range) and the
      tests check them;
    * for a load larger than what is there (``rebuild_indexes``), the plain (non-unique)
      indexes of the tables written are dropped and created again at the end from their
      stored definitions: one sort beats millions of inserts at random places. It all happens inside the transaction, so a failure rolls them back with
      the rows; unique constraints stay in force throughout.
    """

    def __init__(self, conn, *, rebuild_indexes: bool):
        self.conn = conn if conn.dialect.name == "sqlite" else None
        self.rebuild = rebuild_indexes
        self.saved: dict[str, int] = {}
        self.indexes: list[tuple[str, str]] = []

    def __enter__(self):
        if self.conn is None:
            return self
        for pragma, value in (("cache_size", -256 * 1024), ("ignore_check_constraints", 1)):
            self.saved[pragma] = self.conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
            self.conn.exec_driver_sql(f"PRAGMA {pragma} = {value}")
        if self.rebuild:
            self.indexes = self.conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN :tables ORDER BY name").bindparams(
                    bindparam("tables", expanding=True)), {"tables": list(BULK_TABLES)}).all()
            for name, _sql in self.indexes:
                self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        if self.conn is None:
            return
        for _name, sql in self.indexes:  # also after a failure, in case it is committed
            self.conn.exec_driver_sql(sql)
        for pragma, value in self.saved.items():
            self.conn.exec_driver_sql(f"PRAGMA {pragma} = {int(value)}")


class _Out:
    """Values in the form the database driver takes: on SQLite the text and floats SQLAlchemy's
    types would store (see :class:`_Writer`); elsewhere Python objects for SQLAlchemy.

    Times are whole seconds after ``base_utc`` (a local midnight) until they leave here.
    """

    def __init__(self, raw: bool, base_utc: dt.datetime, days: list[dt.date]):
        self.raw, self.days = raw, days
        if raw:
            utc_day = base_utc.date()
            offset = int((base_utc - dt.datetime.combine(utc_day, dt.time(), tzinfo=UTC))
                         .total_seconds())
            utc_days = [(utc_day + dt.timedelta(days=i)).isoformat()
                        for i in range(len(days) + 2)]
            clock = [f" {h:02d}:{m:02d}:{s:02d}.000000"
                     for h in range(24) for m in range(60) for s in range(60)]

            def stamp(seconds: int) -> str:
                day, second = divmod(seconds + offset, 86400)
                return utc_days[day] + clock[second]

            self.day = [d.isoformat() for d in days]
            self.money = float
            self.json = json.dumps
        else:
            def stamp(seconds: int) -> dt.datetime:
                return base_utc + dt.timedelta(seconds=seconds)

            self.day = days
            self.money = Decimal
            self.json = dict
        self.stamp = stamp
        self._memo: dict[tuple, object] = {}

    def number_data(self, number: str):
        """The create step's data ``{"number": …}``."""
        return f'{{"number": "{number}"}}' if self.raw else {"number": number}

    def data(self, kind: str, value):
        """A transition step's data; there are few distinct ones, so each is made once."""
        found = self._memo.get((kind, value))
        if found is None:
            if kind == "decided":
                fine, waived = value
                data = {"fine_amount": f"{fine}.00", "statement_waived": waived}
            elif kind in ("paid_on", "court_enforcement_on"):
                data = {kind: self.days[value].isoformat()}
            elif kind == "proposed_fine":
                data = {kind: f"{value}.00"}
            else:
                data = {kind: value}
            found = self._memo[(kind, value)] = self.json(data)
        return found
