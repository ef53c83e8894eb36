"""The assessment figure (issue 7), used by ``figures.assessment``: what ``flask assess run
--period YYYY-MM`` does (``scoring.assess`` and its commit, timed inside the process) for the
busiest complete month on a copy of the data set, against the same aggregates as raw SQL (cases per
unit and per officer and status in that month, GROUP BY in sqlite3). Adjust ``RAW_SQL`` to the
indicators the assessment actually computes when it lands.
"""
from __future__ import annotations

import shutil
import sqlite3
import statistics
import subprocess
import time

from bench import dataset

RAW_SQL = (
    "SELECT c.unit_id, c.status, count(*), sum(c.fine_amount) FROM cases c "
    "WHERE c.occurred_at >= :start AND c.occurred_at < :end GROUP BY c.unit_id, c.status",
    "SELECT o.user_id, c.status, count(*) FROM cases c JOIN case_officers o ON o.case_id = c.id "
    "WHERE c.occurred_at >= :start AND c.occurred_at < :end GROUP BY o.user_id, c.status",
)


IN_PROCESS = """
import sys, time
started = time.perf_counter()
from app import create_app
from assessment import scoring
from extensions import db
app = create_app()
with app.app_context():
    ready = time.perf_counter()
    scoring.assess(sys.argv[1])
    db.session.commit()
    done = time.perf_counter()
print(done - ready, ready - started)
"""


def measure(record, cfg) -> list[dict]:
    from bench.figures import _copy_db, _row

    conn = sqlite3.connect(f"file:{record['db']}?mode=ro", uri=True)
    month = conn.execute(
        "SELECT strftime('%Y-%m', occurred_at) AS m FROM cases WHERE occurred_at < "
        "date('now', 'start of month') GROUP BY m ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    start = f"{month}-01"
    end = f"{int(month[:4]) + (month[5:] == '12')}-{int(month[5:]) % 12 + 1:02d}-01"
    folder = _copy_db(record)
    app_times, raw_times = [], []
    try:
        env = dataset.app_env(folder)
        starts = []
        for _ in range(cfg["rounds"]):
            # what `flask assess run --period` does, timed inside the process (the start-up of
            # the interpreter and the app is reported beside it, not counted)
            done = subprocess.run([dataset.PYTHON, "-c", IN_PROCESS, month],
                                  cwd=dataset.ROOT, env=env, capture_output=True, text=True,
                                  timeout=900)
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            seconds, start_up = (float(x) for x in done.stdout.split()[-2:])
            app_times.append(seconds)
            starts.append(start_up)
            started = time.perf_counter()
            for sql in RAW_SQL:
                conn.execute(sql, {"start": start, "end": end}).fetchall()
            raw_times.append(time.perf_counter() - started)
    finally:
        conn.close()
        shutil.rmtree(folder, ignore_errors=True)
    value, ref = statistics.median(app_times), statistics.median(raw_times)
    ratio = value / ref if ref else None
    return [_row(f"monthly assessment {month}, all units and officers", "s", value,
                 "≤ 2× raw SQL, ≤ 3 s", value <= 3 and ratio is not None and ratio <= 2,
                 reference=ref, reference_name="raw SQL aggregates", ratio=ratio,
                 note=f"scoring.assess and its commit inside the process (start-up "
                      f"{statistics.median(starts):.1f} s not counted); the reference computes "
                      "two of the aggregates (cases per unit and status, per officer and status)")]
