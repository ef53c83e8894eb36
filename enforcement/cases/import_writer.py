"""The case import's writes: a batch of checked rows in a few statements per table.

What :func:`enforcement.cases.services.create_case` writes for one draft case, written for a
whole batch at once with Core ``insert()`` executemany:

* the registry: each vehicle (plate and colour) and each person with an ID number found or
  created once per batch (INSERT … ON CONFLICT DO NOTHING, then one ``IN`` query), their
  details updated as the rows name them in order (``VehicleValues.changes``); a party without
  an ID number is a new person, as in the service;
* the case numbers: a block per unit from :func:`numbering.issue_numbers`, under the counter's
  row lock, in row order (gap-free: a batch that fails gives its block back with its rollback);
* the cases, their officers, vehicles and parties, the ``create`` step;
* one audit row per case, as the service writes it (:func:`core.audit.record_many`).

A draft case has no clocks yet (they start at registration), so none are written.

On SQLite the import's connection runs with :data:`BULK_PRAGMAS` (:class:`SqliteBulk`).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, event, insert, select, update

from core import audit
from core.database import insert_many
from enforcement.cases import rules
from enforcement.cases.import_rows import IN_LIST, ValidRow, chunks
from enforcement.cases.models import Case, CaseOfficer, CaseParty, CaseStatus, CaseStep, CaseVehicle
from enforcement.cases.numbering import issue_numbers
from enforcement.people.models import Person, Vehicle
from extensions import db

VEHICLE_DETAILS = ("kind", "make_model", "colour", "vin")
# A batch changes some 5,000 pages at random places in the indexes of a large database (times,
# map points, plates, ID numbers). With a cache that holds them all, none is read again or
# written out twice within the batch; with the write-ahead log checkpointed every few batches
# instead of after each, a page the batches keep changing is written back once, not per batch.
BULK_PRAGMAS = {"cache_size": -32 * 1024, "wal_autocheckpoint": 20_000}
PERSON_DETAILS = ("name", "phone", "address")


def write_batch(rows: list[ValidRow], now: dt.datetime) -> list[str]:
    """Write the cases of ``rows`` (checked, in file order); returns their numbers in order."""
    if not rows:
        return []
    vehicle_ids = _vehicles(rows, now)
    person_ids = _persons(rows, now)
    numbers = _numbers(rows, now)
    insert_many(Case.__table__, [
        _case_values(row, seq, number, year, now) for row, (year, seq, number) in zip(rows, numbers)])
    case_ids = _case_ids(numbers, rows)
    officers, vehicles, parties, steps, records = [], [], [], [], []
    draft = CaseStatus.draft
    for row, case_id, (_year, _seq, number), party_ids in zip(rows, case_ids, numbers,
                                                               person_ids):
        officers.extend({"case_id": case_id, "user_id": u.id} for u in row.checked.officers)
        links = [(vehicle_ids[v.key], fake) for v, fake in row.checked.vehicles]
        vehicles.extend({"case_id": case_id, "vehicle_id": vid, "is_fake_plate": fake}
                        for vid, fake in rules.distinct_links(links, key=lambda p: p[0]))
        links = [(pid, role) for pid, (_v, role) in zip(party_ids, row.checked.parties)]
        parties.extend({"case_id": case_id, "person_id": pid, "role": role}
                       for pid, role in rules.distinct_links(links))
        steps.append({"case_id": case_id, "action": rules.CREATE_ACTION, "from_status": draft,
                      "to_status": draft, "actor_id": row.actor.id, "at": now, "note": "",
                      "data": rules.created_step_data(number)})
        records.append({**rules.step_audit(rules.CREATE_ACTION, draft, draft, number),
                        "actor": row.actor, "object_id": case_id, "unit_id": row.unit.id})
    for model, values in ((CaseOfficer, officers), (CaseVehicle, vehicles),
                          (CaseParty, parties), (CaseStep, steps)):
        insert_many(model.__table__, values)
    audit.record_many(records)
    return [number for _year, _seq, number in numbers]


def _case_values(row: ValidRow, seq: int, number: str, year: int, now: dt.datetime) -> dict:
    values = rules.new_case_values(actor=row.actor, unit=row.unit, data=row.data,
                                   checked=row.checked)
    values.update(number=number, year=year, seq=seq, created_at=now, updated_at=now,
                  is_penalty_flagged=False, statement_waived=False)
    return values


def _numbers(rows: list[ValidRow], now: dt.datetime) -> list[tuple[int, int, str]]:
    """(year, seq, number) per row: a block per unit, the units locked in id order."""
    year = rules.case_year(now)
    by_unit: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        by_unit.setdefault(row.unit.id, []).append(index)
    out: list = [None] * len(rows)
    for unit_id in sorted(by_unit):
        indexes = by_unit[unit_id]
        block = issue_numbers(unit_id, rows[indexes[0]].unit.code, year, len(indexes))
        for index, (seq, number) in zip(indexes, block):
            out[index] = (year, seq, number)
    return out


def _case_ids(numbers: list[tuple[int, int, str]], rows: list[ValidRow]) -> list[int]:
    """The ids of the cases just written, read back by their numbers' blocks (one query per
    unit: RETURNING in parameter order would cost a statement per row on SQLite)."""
    blocks: dict[tuple[int, int], list[int]] = {}
    for row, (year, seq, _number) in zip(rows, numbers):
        blocks.setdefault((row.unit.id, year), []).append(seq)
    ids = {}
    for (unit_id, year), seqs in blocks.items():
        ids.update(((unit_id, year, seq), case_id) for case_id, seq in db.session.execute(
            select(Case.id, Case.seq).where(Case.unit_id == unit_id, Case.year == year,
                                            Case.seq.between(min(seqs), max(seqs)))))
    return [ids[(row.unit.id, year, seq)] for row, (year, seq, _n) in zip(rows, numbers)]


def _merged(values_in_order, key) -> dict:
    """key → the details a record ends with after every row naming it, in order."""
    merged: dict = {}
    for values in values_in_order:
        merged.setdefault(key(values), {}).update(values.changes())
    return merged


def _update_changed(table, found: dict, merged: dict, details: tuple[str, ...]) -> None:
    """UPDATE the records whose details the batch changes (one executemany per column set)."""
    changed: dict[tuple, list[dict]] = {}
    for key, changes in merged.items():
        row = found[key]
        if any(getattr(row, name) != value for name, value in changes.items()):
            columns = tuple(name for name in details if name in changes)
            changed.setdefault(columns, []).append(
                {"record_id": row.id, **{name: changes[name] for name in columns}})
    for columns, params in changed.items():
        db.session.execute(update(table).where(table.c.id == bindparam("record_id"))
                           .values({name: bindparam(name) for name in columns}), params)


def _vehicles(rows: list[ValidRow], now: dt.datetime) -> dict:
    """(plate, colour) → vehicle id for every vehicle the batch names."""
    merged = _merged((v for row in rows for v, _fake in row.checked.vehicles),
                     key=lambda v: v.key)
    if not merged:
        return {}
    insert_many(Vehicle.__table__, ignore_conflicts=True, rows=[
        {"plate": plate, "plate_colour": colour, "created_at": now,
         **{name: changes.get(name) for name in VEHICLE_DETAILS}}
        for (plate, colour), changes in merged.items()])
    table = Vehicle.__table__
    found = {}
    for chunk in chunks(sorted({plate for plate, _colour in merged}), IN_LIST):
        for row in db.session.execute(
                select(table.c.id, table.c.plate, table.c.plate_colour,
                       *(table.c[name] for name in VEHICLE_DETAILS))
                .where(table.c.plate.in_(chunk))).all():
            if (row.plate, row.plate_colour) in merged:
                found[(row.plate, row.plate_colour)] = row
    _update_changed(table, found, merged, VEHICLE_DETAILS)
    return {key: row.id for key, row in found.items()}


def _persons(rows: list[ValidRow], now: dt.datetime) -> list[list[int]]:
    """Per row, the person id of each of its parties."""
    named = [p for row in rows for p, _role in row.checked.parties]
    merged = _merged((p for p in named if p.id_number), key=lambda p: p.id_number)
    table = Person.__table__
    found = {}
    if merged:
        insert_many(Person.__table__, ignore_conflicts=True, rows=[
            {"id_number": id_number, "is_company": False, "created_at": now,
             **{name: changes.get(name) for name in PERSON_DETAILS}}
            for id_number, changes in merged.items()])
        for chunk in chunks(sorted(merged), IN_LIST):
            found.update((row.id_number, row) for row in db.session.execute(
                select(table.c.id, table.c.id_number, *(table.c[n] for n in PERSON_DETAILS))
                .where(table.c.id_number.in_(chunk))).all())
        _update_changed(table, found, merged, PERSON_DETAILS)
    unnamed = [p for p in named if not p.id_number]  # each one a new record, as in the service
    new_ids = iter(db.session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"id_number": None, "is_company": False, "created_at": now,
          **{name: getattr(p, name) for name in PERSON_DETAILS}} for p in unnamed]
    ).scalars().all() if unnamed else ())
    return [[found[p.id_number].id if p.id_number else next(new_ids)
             for p, _role in row.checked.parties] for row in rows]


class SqliteBulk:
    """:data:`BULK_PRAGMAS` on the SQLite connection of each batch, from the batch's start until
    the connection goes back to the pool (after the batch's commit) or :meth:`restore` at the
    end of the import (before its last commit, whose automatic checkpoint then writes the log
    back). The previous settings are put back only on a connection this import holds: a
    connection another thread holds may be waiting for the write lock this import has."""

    def __init__(self):
        self.saved: dict[int, tuple[object, dict]] = {}  # id → (driver connection, settings)
        self.pool = None
        self._listener = self._checked_in

    def apply(self) -> None:
        """At the start of a batch: the settings on the session's connection, if not there."""
        conn = db.session.connection()
        if conn.dialect.name != "sqlite":
            return
        raw = conn.connection.dbapi_connection
        if id(raw) in self.saved:
            return
        if self.pool is None:
            self.pool = conn.engine.pool
            event.listen(self.pool, "checkin", self._listener)
        self.saved[id(raw)] = (raw, {name: raw.execute(f"PRAGMA {name}").fetchone()[0]
                                     for name in BULK_PRAGMAS})
        _set_pragmas(raw, BULK_PRAGMAS)

    def _checked_in(self, dbapi_connection, _record) -> None:
        raw, saved = self.saved.pop(id(dbapi_connection), (None, None))
        if raw is dbapi_connection:
            _set_pragmas(raw, saved)

    def restore(self) -> None:
        """At the end, the import's connection still held: its settings put back."""
        for raw, saved in self.saved.values():
            _set_pragmas(raw, saved)
        self.saved = {}
        if self.pool is not None:
            event.remove(self.pool, "checkin", self._listener)
            self.pool = None


def _set_pragmas(raw, values: dict) -> None:
    for name, value in values.items():
        raw.execute(f"PRAGMA {name} = {int(value)}")
