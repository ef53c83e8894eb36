"""The assessment figure (issue 8), used by ``figures.assessment``: what ``flask assess run
--period YYYY-MM`` does (``scoring.assess`` and its commit, timed inside the process) for the
busiest complete month on a copy of the data set, against the same aggregates written by hand as
raw SQL in sqlite3 (``RAW_SQL``).

What a monthly run computes: only the monthly unit scheme applies to a month (the town scheme is
half-yearly, the officer scheme yearly from 1 December), so a month scores every active unit of
the kinds assigned to it (districts, counties, departmental units) and no officer. Per unit,
over the unit's whole subtree (every record of a unit at or under it, by the materialised path),
in the month's window:

- ``cases_registered``: cases registered in the month;
- ``decisions_on_time``: decision clocks due in the month (met, or past by the evaluation day),
  and how many of them were met;
- ``tips_on_time``: tips (not merged, with a unit) due for acceptance in the month, and how many
  had no step (accept, conclude, reply) late;
- ``late_tasks``: follow-up tasks due in the month reported late or overdue and not done;
- ``blacklist_reviews_on_time``: nominations in the month reviewed or past the review limit, and
  how many were reviewed within it;
- ``joint_patrols``: daily patrols (approved or completed) started in the month the subtree led
  or took part in;
- ``concentrated_action_breaches``: 1 when the month has ended and the subtree led or took part
  in no concentrated action with the minimum headcount (the most people of one such action);
- ``meeting_breaches``: 1 when a calendar quarter ends in the month and the subtree held no
  meeting in it (no statement in other months, as in the app).

Each family is one hand-written statement: the records grouped by their own unit over the same
indexes, then rolled up to the assessed units through the units' paths. ``raw_metrics`` returns
unit id → metric → (numerator, denominator); the bench checks that they equal the metric figures
the timed run stored, and ``tests/test_assessment_reference.py`` checks them against
``metrics.unit_metrics`` on a small data set.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import statistics
import subprocess
import time
from zoneinfo import ZoneInfo

from bench import dataset

LOCAL = ZoneInfo("Asia/Shanghai")
# The unit kinds the monthly scheme is assigned to (assessment_scheme_assignments, seeded)
ASSESSED_KINDS = ("district", "county", "department")
# The settings the metrics read, with the app's documented defaults (used when no row exists)
SETTINGS = {"review_days": ("assessment.blacklist_review_days", 10),
            "min_people": ("joint.concentrated_district_min_people", 20)}

_TREE = f"""
WITH assessed AS (
  SELECT id, path FROM units
  WHERE is_active = 1 AND kind IN ({", ".join(f"'{k}'" for k in ASSESSED_KINDS)})),
tree AS (
  SELECT u.id AS uid, a.id AS aid FROM units u
  JOIN assessed a ON substr(u.path, 1, length(a.path)) = a.path)
"""

RAW_SQL = {
    "cases_registered": _TREE + """
SELECT t.aid, sum(r.n), NULL FROM (
  SELECT unit_id, count(*) AS n FROM cases
  WHERE registered_on BETWEEN :start AND :end GROUP BY unit_id) r
JOIN tree t ON t.uid = r.unit_id GROUP BY t.aid""",

    "decisions_on_time": _TREE + """
SELECT t.aid, sum(r.ok), sum(r.n) FROM (
  SELECT c.unit_id, sum(k.done_on IS NOT NULL AND k.done_on <= k.due_on) AS ok, count(*) AS n
  FROM case_clocks k JOIN cases c ON c.id = k.case_id
  WHERE k.name = 'decision' AND k.due_on BETWEEN :start AND :end
    AND (k.done_on IS NOT NULL OR k.due_on < :as_of)
  GROUP BY c.unit_id) r
JOIN tree t ON t.uid = r.unit_id GROUP BY t.aid""",

    "tips_on_time": _TREE + """
SELECT t.aid, sum(r.n - r.late), sum(r.n) FROM (
  SELECT unit_id, count(*) AS n, sum(CASE WHEN
       (accepted_at IS NOT NULL AND date(accepted_at, '+8 hours') > accept_due_on)
    OR (accepted_at IS NULL AND accept_due_on < :as_of
        AND status IN ('received', 'accepted', 'investigating'))
    OR (conclude_due_on IS NOT NULL AND (
          (concluded_at IS NOT NULL AND date(concluded_at, '+8 hours') > conclude_due_on)
       OR (concluded_at IS NULL AND conclude_due_on < :as_of)))
    OR (reply_due_on IS NOT NULL AND (
          (replied_at IS NOT NULL AND date(replied_at, '+8 hours') > reply_due_on)
       OR (replied_at IS NULL AND reply_due_on < :as_of))) THEN 1 ELSE 0 END) AS late
  FROM tips  -- +0: the accept_due_on index for the month, not the merged_into_id one for all
  WHERE merged_into_id + 0 IS NULL AND unit_id IS NOT NULL
    AND accept_due_on BETWEEN :start AND :end
  GROUP BY unit_id) r
JOIN tree t ON t.uid = r.unit_id GROUP BY t.aid""",

    "late_tasks": _TREE + """
SELECT t.aid, sum(r.n), NULL FROM (
  SELECT unit_id, count(*) AS n FROM followup_tasks
  WHERE due_on BETWEEN :start AND :end
    AND ((reported_on IS NOT NULL AND reported_on > due_on)
      OR (reported_on IS NULL AND status NOT IN ('reported_done', 'verified', 'closed')
          AND due_on < :as_of))
  GROUP BY unit_id) r
JOIN tree t ON t.uid = r.unit_id GROUP BY t.aid""",

    "blacklist_reviews_on_time": _TREE + """
SELECT t.aid, sum(r.ok), sum(r.n) FROM (
  SELECT unit_id, count(*) AS n, sum(
    julianday(coalesce(leader_approved_at, ended_at)) - julianday(nominated_at)
      <= :review_days) AS ok
  FROM blacklist_entries
  WHERE nominated_at >= :start_utc AND nominated_at < :end_utc
    AND (coalesce(leader_approved_at, ended_at) IS NOT NULL
         OR nominated_at < :review_cutoff_utc)
  GROUP BY unit_id + 0) r  -- a scan: walking the unit_id index to group is 6× slower
JOIN tree t ON t.uid = r.unit_id GROUP BY t.aid""",

    "joint_patrols": _TREE + """,
patrols AS (
  SELECT id, unit_id FROM joint_actions
  WHERE kind = 'daily_patrol' AND status IN ('approved', 'completed')
    AND coalesce(actual_start, planned_start) >= :start_utc
    AND coalesce(actual_start, planned_start) < :end_utc
    AND coalesce(actual_start, planned_start) < :as_of_utc)
SELECT t.aid, count(DISTINCT i.aid), NULL FROM (
  SELECT id AS aid, unit_id AS uid FROM patrols
  UNION ALL
  SELECT p.action_id, p.unit_id FROM joint_action_participants p
  JOIN patrols a ON a.id = p.action_id) i
JOIN tree t ON t.uid = i.uid GROUP BY t.aid""",

    "concentrated_action_breaches": _TREE + """,
actions AS (
  SELECT a.id, a.unit_id, (SELECT coalesce(sum(p.headcount), 0)
                           FROM joint_action_participants p WHERE p.action_id = a.id) AS people
  FROM joint_actions a
  WHERE a.kind = 'concentrated_action' AND a.status IN ('approved', 'completed')
    AND coalesce(a.actual_start, a.planned_start) >= :start_utc
    AND coalesce(a.actual_start, a.planned_start) < :end_utc),
best AS (
  SELECT t.aid, max(i.people) AS people FROM (
    SELECT unit_id AS uid, people FROM actions
    UNION ALL
    SELECT p.unit_id, a.people FROM joint_action_participants p
    JOIN actions a ON a.id = p.action_id) i
  JOIN tree t ON t.uid = i.uid GROUP BY t.aid)
SELECT s.id, :end < :as_of AND coalesce(b.people, 0) < :min_people, NULL
FROM assessed s LEFT JOIN best b ON b.aid = s.id""",

    "meeting_breaches": _TREE + """,
held AS (
  SELECT DISTINCT t.aid FROM joint_meetings m JOIN tree t ON t.uid = m.unit_id
  WHERE m.held_on BETWEEN :quarter_start AND :end)
SELECT s.id, :end < :as_of AND h.aid IS NULL, NULL
FROM assessed s LEFT JOIN held h ON h.aid = s.id""",
}
RATES = ("decisions_on_time", "tips_on_time", "blacklist_reviews_on_time")


def _utc_text(day: dt.date) -> str:
    """The UTC instant a local (Asia/Shanghai) day starts, as the app stores timestamps."""
    moment = dt.datetime.combine(day, dt.time(), LOCAL).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _setting(conn, key: str, default):
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def month_params(conn, month: str, today: dt.date) -> dict:
    """The statements' parameters for ``month`` (YYYY-MM) evaluated on ``today`` (local day),
    as the app's window: the month, evaluated as of the day after it (or today if earlier)."""
    year, mon = int(month[:4]), int(month[5:])
    start = dt.date(year, mon, 1)
    end = dt.date(year + mon // 12, mon % 12 + 1, 1) - dt.timedelta(days=1)
    as_of = min(today, end + dt.timedelta(days=1))
    values = {name: _setting(conn, key, default) for name, (key, default) in SETTINGS.items()}
    return {"start": start.isoformat(), "end": end.isoformat(), "as_of": as_of.isoformat(),
            "start_utc": _utc_text(start), "end_utc": _utc_text(end + dt.timedelta(days=1)),
            "as_of_utc": _utc_text(as_of),
            "review_cutoff_utc": _utc_text(as_of - dt.timedelta(days=values["review_days"])),
            "quarter_start": dt.date(year, mon - 2, 1).isoformat() if mon % 3 == 0 else None,
            **values}


def statements(params: dict) -> dict[str, str]:
    """The statements a month runs: the meetings one only when a quarter ends in it."""
    return {name: sql for name, sql in RAW_SQL.items()
            if name != "meeting_breaches" or params["quarter_start"] is not None}


def raw_metrics(conn, params: dict) -> dict[int, dict[str, tuple]]:
    """unit id → metric → (numerator, denominator or None), every assessed unit, every metric
    (0 where no record counts, as the app)."""
    units = [row[0] for row in conn.execute(_TREE + "SELECT id FROM assessed")]
    out = {uid: {name: (0, 0 if name in RATES else None) for name in RAW_SQL} for uid in units}
    for name, sql in statements(params).items():
        for uid, numerator, denominator in conn.execute(sql, params):
            out[uid][name] = (int(numerator or 0),
                              None if name not in RATES else int(denominator or 0))
    return out


def stored_metrics(conn, month: str) -> tuple[dict[int, dict[str, tuple]], int]:
    """unit id → metric → (numerator, denominator) as the app stored them for ``month`` (the
    current result of each unit), and how many units were left out: those with an override
    entered by hand (their figure is the entered one)."""
    overridden = {row[0] for row in conn.execute(
        "SELECT unit_id FROM assessment_manual_entries WHERE period = ? AND kind = 'override'",
        (month,))}
    out, skipped = {}, 0
    for unit_id, inputs in conn.execute(
            "SELECT unit_id, inputs FROM assessment_results WHERE period = ? AND is_current = 1"
            " AND user_id IS NULL", (month,)):
        if unit_id in overridden:
            skipped += 1
            continue
        figures = json.loads(inputs)["metrics"]
        out[unit_id] = {name: (int(num), None if den is None else int(den))
                        for name, (num, den) in figures.items()}
    return out, skipped


def compare(raw: dict, app: dict) -> list[str]:
    """The differences between two ``unit → metric → figures`` maps (empty: the same)."""
    problems = []
    for uid in sorted(set(raw) | set(app)):
        if uid not in raw or uid not in app:
            problems.append(f"unit {uid}: only in {'raw' if uid in raw else 'app'}")
            continue
        for name in sorted(set(raw[uid]) | set(app[uid])):
            if raw[uid].get(name) != app[uid].get(name):
                problems.append(f"unit {uid} {name}: raw {raw[uid].get(name)} "
                                f"app {app[uid].get(name)}")
    return problems


# The start-up (not counted) ends with the ORM's mappers configured, the database connection
# open (as the reference's is) and a full garbage collection: the first query of any process
# configures the mappers (~0.1 s, once per process), and a collection of the heap the imports
# left (~0.2 s) would otherwise fall on whichever part of the run happens to allocate when the
# collector's threshold is reached.
IN_PROCESS = """
import gc, sys, time
started = time.perf_counter()
from sqlalchemy.orm import configure_mappers
from app import create_app
from assessment import scoring
from core.base import local_today
from extensions import db
app = create_app()
with app.app_context():
    configure_mappers()
    db.engine.connect().close()  # back to the pool: the run's session takes it
    gc.collect()
    ready = time.perf_counter()
    scoring.assess(sys.argv[1])
    db.session.commit()
    done = time.perf_counter()
print(local_today().isoformat(), done - ready, ready - started)
"""


def measure(record, cfg) -> list[dict]:
    from bench.figures import _copy_db, _row

    conn = sqlite3.connect(f"file:{record['db']}?mode=ro", uri=True)
    month = conn.execute(
        "SELECT strftime('%Y-%m', occurred_at) AS m FROM cases WHERE occurred_at < "
        "date('now', 'start of month') GROUP BY m ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    folder = _copy_db(record)
    app_times, raw_times, starts = [], [], []
    try:
        env = dataset.app_env(folder)
        for _ in range(cfg["rounds"]):
            # what `flask assess run --period` does, timed inside the process (the start-up of
            # the interpreter and the app is reported beside it, not counted)
            done = subprocess.run([dataset.PYTHON, "-c", IN_PROCESS, month],
                                  cwd=dataset.ROOT, env=env, capture_output=True, text=True,
                                  timeout=900)
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            today, seconds, start_up = done.stdout.split()[-3:]
            app_times.append(float(seconds))
            starts.append(float(start_up))
            params = month_params(conn, month, dt.date.fromisoformat(today))
            sql = statements(params)
            # a new connection each round, as the app's new process has: no page cache or
            # prepared statement of its own from the round before (opening it is not timed,
            # as the app's is not)
            fresh = sqlite3.connect(f"file:{record['db']}?mode=ro", uri=True)
            started = time.perf_counter()
            for text in sql.values():
                fresh.execute(text, params).fetchall()
            raw_times.append(time.perf_counter() - started)
            fresh.close()
        raw = raw_metrics(conn, params)
        copy = sqlite3.connect(f"file:{folder / 'enforcement.sqlite3'}?mode=ro", uri=True)
        stored, skipped = stored_metrics(copy, month)
        copy.close()
    finally:
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)
    problems = compare({uid: raw.get(uid, {}) for uid in stored}, stored)
    if problems or len(stored) + skipped != len(raw):
        raise RuntimeError(f"the raw SQL and the app disagree ({len(stored)} of {len(raw)} "
                           f"units compared): " + "; ".join(problems[:10]))
    value, ref = statistics.median(app_times), statistics.median(raw_times)
    ratio = value / ref if ref else None
    return [_row(f"monthly assessment {month}: {len(raw)} units (no officer: their scheme is "
                 f"yearly)", "s", value, "≤ 2× raw SQL, ≤ 3 s",
                 value <= 3 and ratio is not None and ratio <= 2,
                 reference=ref, reference_name="raw SQL aggregates", ratio=ratio,
                 rounds=[round(t, 3) for t in app_times],
                 reference_rounds=[round(t, 3) for t in raw_times],
                 note=f"scoring.assess and its commit inside the process (start-up "
                      f"{statistics.median(starts):.1f} s not counted: imports, create_app, "
                      f"the ORM's mappers, the connection, a full garbage collection), each "
                      f"round a new process on the same copy (the first stores the month's "
                      f"results, the others find them unchanged); the reference runs the "
                      f"{len(sql)} statements the month needs, by hand in sqlite3 on a new "
                      f"connection each round: every unit metric ({', '.join(sql)}) rolled up "
                      f"over each unit's subtree, the same numbers as the figures the app "
                      f"stored ({len(stored)} units compared)")]
