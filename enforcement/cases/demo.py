"""Demo cases: believable, deterministic case files for the Chongqing demo units, in bulk.

``load_cases(n, seed)`` writes ``n`` cases spread over the last three years (more recent, more
cases) over the transport units of the central districts, at points around the real hotspots
(railway stations, the airport, shopping streets), with vehicles and parties from a registry pool
(so repeat offenders exist), officers of the unit, a create step and the step into the current
status, and the statutory clocks exactly as :func:`enforcement.cases.clocks.compute` would store
them. Most cases are closed; some are open, and some open ones are overdue.

It is built for a million cases in well under two minutes on SQLite (about 70 s to load and
15 s to commit on a 2-core machine): no ORM objects per case; rows generated with one
``random.Random(seed)`` (same seed and day, same data), for large loads in a forked child
process while this one writes; Core ``insert()`` executemany in batches (see :class:`_Writer`
and :class:`_SqliteBulk`). Case numbers continue the existing counters, stay gap-free per unit
and year, and ``case_counters`` is left consistent. The caller commits.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Optional

from sqlalchemy import select

from core import audit, settings
from core.base import utcnow
from enforcement.cases import clocks
from enforcement.cases.calendar import seed_holidays
from enforcement.cases.demo_data import AREAS as AREAS
from enforcement.cases.demo_data import CAR_MODELS as CAR_MODELS
from enforcement.cases.demo_data import CITY_SHARE as CITY_SHARE
from enforcement.cases.demo_data import CITY_UNIT as CITY_UNIT
from enforcement.cases.demo_data import COLOURS as COLOURS
from enforcement.cases.demo_data import COMPANY_KINDS as COMPANY_KINDS
from enforcement.cases.demo_data import COMPANY_WORDS as COMPANY_WORDS
from enforcement.cases.demo_data import CQ_AREAS as CQ_AREAS
from enforcement.cases.demo_data import DESTINATIONS as DESTINATIONS
from enforcement.cases.demo_data import DESTINIES as DESTINIES
from enforcement.cases.demo_data import DISTRICTS as DISTRICTS
from enforcement.cases.demo_data import ELSEWHERE as ELSEWHERE
from enforcement.cases.demo_data import EV_MODELS as EV_MODELS
from enforcement.cases.demo_data import FACTS as FACTS
from enforcement.cases.demo_data import GIVEN as GIVEN
from enforcement.cases.demo_data import HOTSPOTS as HOTSPOTS
from enforcement.cases.demo_data import ID_WEIGHTS as ID_WEIGHTS
from enforcement.cases.demo_data import JUSTIFICATION as JUSTIFICATION
from enforcement.cases.demo_data import LEADER_STEPS as LEADER_STEPS
from enforcement.cases.demo_data import LOCAL as LOCAL
from enforcement.cases.demo_data import MOBILE_PREFIXES as MOBILE_PREFIXES
from enforcement.cases.demo_data import MOBILITY_MODELS as MOBILITY_MODELS
from enforcement.cases.demo_data import MOTO_MODELS as MOTO_MODELS
from enforcement.cases.demo_data import OFFICER_ROLES as OFFICER_ROLES
from enforcement.cases.demo_data import ORIGINS as ORIGINS
from enforcement.cases.demo_data import OTHER_AREAS as OTHER_AREAS
from enforcement.cases.demo_data import PLATE_PREFIXES as PLATE_PREFIXES
from enforcement.cases.demo_data import RENTAL_MODELS as RENTAL_MODELS
from enforcement.cases.demo_data import SERIAL_LETTERS as SERIAL_LETTERS
from enforcement.cases.demo_data import SPAN_DAYS as SPAN_DAYS
from enforcement.cases.demo_data import STAGES as STAGES
from enforcement.cases.demo_data import STATUSES as STATUSES
from enforcement.cases.demo_data import STUCK_AT as STUCK_AT
from enforcement.cases.demo_data import SURNAMES as SURNAMES
from enforcement.cases.demo_data import TRANSFER_TO as TRANSFER_TO
from enforcement.cases.demo_data import UTC as UTC
from enforcement.cases.demo_data import VIN_CHARS as VIN_CHARS
from enforcement.cases.demo_data import VIOLATIONS as VIOLATIONS
from enforcement.cases.demo_data import WITHDRAW_REASONS as WITHDRAW_REASONS
from enforcement.cases.demo_data import _table as _table
from enforcement.cases.demo_data import id_check_digit as id_check_digit
from enforcement.cases.demo_registry import BIRTHS as BIRTHS
from enforcement.cases.demo_registry import ENERGY_SERIAL as ENERGY_SERIAL
from enforcement.cases.demo_registry import VEHICLE_KINDS as VEHICLE_KINDS
from enforcement.cases.demo_registry import VEHICLE_MODELS as VEHICLE_MODELS
from enforcement.cases.demo_registry import _ensure_officers as _ensure_officers
from enforcement.cases.demo_registry import _person_name as _person_name
from enforcement.cases.demo_registry import _Registry as _Registry
from enforcement.cases.demo_registry import _transport_units as _transport_units
from enforcement.cases.demo_registry import _unit_label as _unit_label
from enforcement.cases.demo_rows import _forced as _forced
from enforcement.cases.demo_rows import _generate as _generate
from enforcement.cases.demo_rows import _Plan as _Plan
from enforcement.cases.demo_rows import _timeline as _timeline
from enforcement.cases.demo_writer import BULK_TABLES as BULK_TABLES
from enforcement.cases.demo_writer import CASE_COLUMNS as CASE_COLUMNS
from enforcement.cases.demo_writer import CLOCKS as CLOCKS
from enforcement.cases.demo_writer import ROW_LISTS as ROW_LISTS
from enforcement.cases.demo_writer import _counters as _counters
from enforcement.cases.demo_writer import _fix_sequences as _fix_sequences
from enforcement.cases.demo_writer import _next_id as _next_id
from enforcement.cases.demo_writer import _Out as _Out
from enforcement.cases.demo_writer import _save_counters as _save_counters
from enforcement.cases.demo_writer import _SqliteBulk as _SqliteBulk
from enforcement.cases.demo_writer import _Writer as _Writer
from enforcement.cases.demo_writer import _writers as _writers
from enforcement.cases.models import Case
from enforcement.people.models import Person, Vehicle
from enforcement.violations.models import ViolationType
from enforcement.violations.seed import seed_violation_types
from extensions import db

BATCH = 10_000
PARALLEL_FROM = 20_000  # cases; below, generating in this process is as quick
REBUILD_INDEXES_FROM = 100_000  # cases, and at least as many as there are (SQLite)


def _produce(plan: _Plan, pipe) -> None:
    """The generator in a child process, sending its batches through ``pipe``."""
    try:
        for item in _generate(plan):
            pipe.send(item)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def _batches(plan: _Plan, parallel: bool) -> Iterator[tuple[str, dict]]:
    """The generator's output, computed in a forked child process when ``parallel`` so that
    generating the next batch overlaps with writing this one (two cores, twice the speed)."""
    if not parallel:
        yield from _generate(plan)
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(plan, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            kind, payload = receiver.recv()
            if kind == "error":
                raise RuntimeError(f"demo case generator failed:\n{payload}")
            yield kind, payload
            if kind == "done":
                break
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def load_cases(n: int, seed: int = 1, *, now: Optional[dt.datetime] = None,
               batch_size: int = BATCH, parallel: Optional[bool] = None) -> dict:
    """Write ``n`` demo cases (see the module docstring) and return statistics.

    Flushes, never commits: the caller commits (the demo-data command) or rolls back.
    ``parallel`` (default: from ``PARALLEL_FROM`` cases, on Linux) generates the rows in a
    forked child process while this one writes; the data are the same either way.
    """
    started = time.perf_counter()
    if n < 0:
        raise ValueError("the number of cases cannot be negative")
    rng = random.Random(seed)
    now = now or utcnow()
    today = now.astimezone(LOCAL).date()
    seed_violation_types()
    seed_holidays(range(today.year - 4, today.year + 2))
    units = _transport_units()
    staff, created_users = _ensure_officers(units, rng, today)
    violations = {}
    for vt in db.session.scalars(select(ViolationType).where(
            ViolationType.code.in_(VIOLATIONS), ViolationType.is_active.is_(True))):
        tiers = {t.tier.value: (int(t.min_fine), int(t.max_fine)) for t in vt.tiers}
        violations[vt.code] = (vt.id, tiers, int(vt.min_fine), int(vt.max_fine))
    if not violations:
        raise LookupError("the demo violation types are missing or inactive")
    base_day = today - dt.timedelta(days=SPAN_DAYS)
    base_utc = dt.datetime.combine(base_day, dt.time(), tzinfo=LOCAL).astimezone(UTC)
    conn = db.session.connection()
    counters_before = _counters(conn)
    plan = _Plan(
        n=n, batch_size=batch_size, rng=rng, now_s=int((now - base_utc).total_seconds()),
        today=today, base_utc=base_utc,
        days=[base_day + dt.timedelta(days=i) for i in range(SPAN_DAYS + 400)],
        raw=conn.dialect.name == "sqlite",
        units=[(u.id, u.code, district) for u, district in units], staff=staff,
        violations=violations, calendar=clocks.work_calendar(),
        deadline_cfg=settings.get_many("deadline."),
        plates=set(conn.scalars(select(Vehicle.plate))),
        id_numbers=set(conn.scalars(select(Person.id_number)
                                    .where(Person.id_number.is_not(None)))),
        next_vehicle_id=_next_id(conn, Vehicle.id), next_person_id=_next_id(conn, Person.id),
        next_case_id=_next_id(conn, Case.id), counters=dict(counters_before))
    if parallel is None:
        parallel = n >= PARALLEL_FROM and sys.platform.startswith("linux")
    write = _writers(conn)
    summary: dict = {}
    big = n >= REBUILD_INDEXES_FROM and n >= plan.next_case_id
    with _SqliteBulk(conn, rebuild_indexes=big):
        for kind, payload in _batches(plan, parallel):
            if kind == "done":
                summary = payload
                break
            for name in ("vehicles", "persons") + ROW_LISTS:
                write[name](payload[name])

    _save_counters(conn, counters_before, summary["counters"])
    _fix_sequences(conn)
    stats = {"cases": n, "vehicles": summary["vehicles"], "persons": summary["persons"],
             "users_created": created_users, "by_status": summary["by_status"],
             "overdue_clocks": summary["overdue_clocks"], "seed": seed}
    audit.record("demo.cases", actor=None, object_type="cases", detail=stats)
    stats["seconds"] = round(time.perf_counter() - started, 2)
    return stats
