"""Benchmark: the assessment's metric queries and a whole scoring run, beside the same
aggregation written directly in SQL.

    .venv/bin/python bench/assessment_metrics.py [--cases 1000000] [--month 2026-10]

Builds a throw-away SQLite database (migrations, the demo city's units and users, ``--cases``
demo cases through the demo loader), then times, for one month: ``metrics.unit_metrics`` for
every assessed unit, ``scoring.assess`` (every unit and officer, stored), and the raw SQL
"cases registered and decisions in time per unit subtree" written by hand. Target: a month of the
whole city scored in a few seconds over 1,000,000 cases.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RAW = """
SELECT a.id, count(c.id) FROM cases c JOIN units u ON u.id = c.unit_id
JOIN units a ON u.path LIKE a.path || '%'
WHERE a.kind IN ('district', 'county', 'department') AND c.registered_on BETWEEN :s AND :e
GROUP BY a.id
"""
RAW_CLOCKS = """
SELECT c.unit_id, sum(CASE WHEN k.done_on <= k.due_on THEN 1 ELSE 0 END), count(k.id)
FROM case_clocks k JOIN cases c ON c.id = k.case_id
WHERE k.name = 'decision' AND k.due_on BETWEEN :s AND :e GROUP BY c.unit_id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--month", default=None, help="default: last month")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="bench-assessment-")
    os.environ["INSTANCE_PATH"] = folder
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from app import create_app
    from assessment import metrics, scoring
    from assessment.periods import of_kind, parse_period
    from assessment.schemes_store import seed_schemes
    from core import demo
    from core.base import local_today
    from core.models import Unit
    from extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        demo.load_structure()
        seed_schemes()
        db.session.commit()
        started = time.perf_counter()
        from enforcement.cases.demo import load_cases

        load_cases(args.cases, seed=1)
        db.session.commit()
        print(f"{args.cases} demo cases loaded in {time.perf_counter() - started:.1f} s")
        period = parse_period(args.month) if args.month else of_kind(
            "month", local_today().replace(day=1) - __import__("datetime").timedelta(days=1))
        start, end = period.span()
        units = list(db.session.scalars(select(Unit).where(
            Unit.kind.in_(["district", "county", "department"]))))
        window = metrics.Window(start, end, end)

        def timed(label, func):
            t0 = time.perf_counter()
            value = func()
            print(f"{label:<46} {(time.perf_counter() - t0) * 1000:9.1f} ms")
            return value

        timed(f"app: unit_metrics, {len(units)} units, {period.text}",
              lambda: metrics.unit_metrics(units, window, period.months(),
                                           period.quarters_ending()))
        timed("app: cases_registered only", lambda: metrics.cases_registered(units, window))
        timed("app: decisions_on_time only", lambda: metrics.decisions_on_time(units, window))
        timed("raw SQL: cases registered per subtree (LIKE join)",
              lambda: db.session.execute(text(RAW), {"s": start, "e": end}).all())
        timed("raw SQL: decisions in time per unit",
              lambda: db.session.execute(text(RAW_CLOCKS), {"s": start, "e": end}).all())
        summary = timed("app: assess (units and officers, stored)",
                        lambda: scoring.assess(period.text))
        db.session.commit()
        print(f"{summary.scored} results")


if __name__ == "__main__":
    main()
