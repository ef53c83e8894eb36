"""The reference for the HTTP figures: a bare Flask app doing the same indexed look-ups with the
standard library's ``sqlite3`` on the same database file, served by gunicorn with the same
settings as the app (``gunicorn 'bench.bare_app:app'``). No auth, no ORM, no schema layer: the
physical limit of "Flask + one indexed SQL statement" on this machine.

``BENCH_SQLITE`` names the database file (opened read-only, one connection per worker thread).
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading

from flask import Flask, jsonify, request

from blacklist.plate_keys import deletion_keys, is_one_off  # pure: the app's own near-match rule

app = Flask(__name__)
_local = threading.local()
ACTIVE = ("listed", "published")
CASE_COLUMNS = ("c.id, c.number, u.code, c.status, c.origin, c.occurred_at, c.address, c.lat, "
                "c.lng, v.code, c.tier, c.proposed_fine, c.fine_amount, c.is_penalty_flagged")


PG = os.environ.get("BENCH_PG")  # a PostgreSQL URL instead of the SQLite file


class _PgConnection:
    """psycopg 3 in autocommit, with sqlite3's ``execute(sql, params)`` and ``?`` marks."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                    autocommit=True)

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql.replace("?", "%s"), params)


def _db():
    conn = getattr(_local, "conn", None)
    if conn is None:
        if PG:
            conn = _PgConnection(PG)
        else:
            path = os.environ["BENCH_SQLITE"]
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        _local.conn = conn
    return conn


def _in_array() -> str:
    return "= ANY(?)" if PG else "IN (SELECT value FROM json_each(?))"


def _array(values):
    return list(values) if PG else json.dumps(list(values), ensure_ascii=False)


@app.get("/check")
def check():
    """The same indexed look-up as the app's check, in one statement: the plate through the
    (plate, status) index, and the plates sharing one of its deletion keys (the app's own pure
    functions) through the key table, confirmed one edit away in Python; no token, no scoping,
    no settings, no sightings."""
    plate = request.args.get("plate", "")
    rows = _db().execute(
        "SELECT e.uid, e.list_kind, e.subject_kind, e.status, e.plate, e.rule_code, "
        "e.starts_on, e.ends_on, u.code FROM blacklist_entries e JOIN units u "
        "ON u.id = e.unit_id WHERE e.plate IN (SELECT ? UNION ALL SELECT k.plate FROM "
        f"blacklist_plate_keys k WHERE k.key {_in_array()}) "
        "AND e.status IN (?, ?) ORDER BY e.id",
        (plate, _array(deletion_keys(plate)), *ACTIVE)).fetchall()
    keys = ("id", "list", "subject", "status", "plate", "rule", "starts_on", "ends_on", "unit")
    entries = [dict(zip(keys, r)) for r in rows if r[4] == plate]
    near = sorted({r[4] for r in rows if is_one_off(plate, r[4])},
                  key=lambda p: (len(p) != len(plate), p))
    return jsonify({"query": plate, "listed": bool(entries), "entries": entries,
                    "near_matches": near[:10]})


@app.get("/cases")
def cases():
    """One keyset page of 50 cases (status filter), with officers, vehicles and parties: one
    statement for the page and one ``IN`` statement for each related list."""
    conn = _db()
    after = int(request.args.get("after", 0))
    status = request.args.get("status", "closed")
    limit = int(request.args.get("limit", 50))
    rows = conn.execute(
        f"SELECT {CASE_COLUMNS} FROM cases c JOIN units u ON u.id = c.unit_id "
        "LEFT JOIN violation_types v ON v.id = c.violation_type_id "
        "WHERE c.status = ? AND c.id > ? ORDER BY c.id LIMIT ?",
        (status, after, limit + 1)).fetchall()
    page = rows[:limit]
    ids = [r[0] for r in page]
    marks = _in_array()
    ids_value = _array(ids)
    officers, vehicles, parties = {}, {}, {}
    if ids:
        for case_id, username in conn.execute(
                f"SELECT o.case_id, s.username FROM case_officers o JOIN users s "
                f"ON s.id = o.user_id WHERE o.case_id {marks}", (ids_value,)):
            officers.setdefault(case_id, []).append(username)
        for case_id, plate, colour, fake in conn.execute(
                f"SELECT cv.case_id, v.plate, v.plate_colour, cv.is_fake_plate FROM case_vehicles"
                f" cv JOIN vehicles v ON v.id = cv.vehicle_id WHERE cv.case_id {marks}",
                (ids_value,)):
            vehicles.setdefault(case_id, []).append(
                {"plate": plate, "plate_colour": colour, "is_fake_plate": bool(fake)})
        for case_id, name, role, id_number in conn.execute(
                f"SELECT cp.case_id, p.name, cp.role, p.id_number FROM case_parties cp "
                f"JOIN persons p ON p.id = cp.person_id WHERE cp.case_id {marks}", (ids_value,)):
            parties.setdefault(case_id, []).append(
                {"name": name, "role": role, "id_number": id_number})
    keys = ("id", "number", "unit", "status", "origin", "occurred_at", "address", "lat", "lng",
            "violation", "tier", "proposed_fine", "fine_amount", "is_penalty_flagged")
    items = []
    for r in page:
        item = dict(zip(keys, r))
        item["officers"] = officers.get(r[0], [])
        item["vehicles"] = vehicles.get(r[0], [])
        item["parties"] = parties.get(r[0], [])
        items.append(item)
    return jsonify({"items": items,
                    "next_cursor": str(page[-1][0]) if len(rows) > limit else None})
