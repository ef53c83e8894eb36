"""Benchmark: the app's plate check beside the raw indexed SQL lookup on the same data.

    .venv/bin/python bench/blacklist_check.py [--entries 50000] [--cases 0] [--checks 2000]

Builds a throw-away SQLite database (migrations, demo units and users, ``--cases`` demo cases
through the demo loader, ``--entries`` listed vehicle entries written in bulk), then times
``blacklist.check.check_plate`` (normalising messy input, exact match through the index, near
matches, scoping) and the bare ``SELECT … WHERE plate = ? AND status IN (…)`` on random plates,
half listed and half not. Target: the app's check well under 10 ms per call.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _plates(rng: random.Random, n: int) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    seen: set[str] = set()
    while len(seen) < n:
        seen.add("渝" + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(5)))
    return sorted(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--cases", type=int, default=0)
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="bench-blacklist-")
    os.environ["INSTANCE_PATH"] = folder
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, text

    from app import create_app
    from blacklist import check, plate_keys
    from blacklist.models import ACTIVE, BlacklistEntry
    from core import demo
    from core.base import local_today, utcnow
    from core.models import Unit, User
    from extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        demo.load_structure()
        db.session.commit()
        if args.cases:
            from enforcement.cases.demo import load_cases

            load_cases(args.cases, seed=1)
            db.session.commit()
        rng = random.Random(7)
        unit_ids = db.session.scalars(select(Unit.id)).all()
        listed = _plates(rng, args.entries)
        today = local_today()
        rows = [{"uid": f"{i:032x}", "unit_id": rng.choice(unit_ids), "list_kind": "blacklist",
                 "subject_kind": "vehicle", "subject_key": f"vehicle:{p}", "status": "published",
                 "rule_code": "bench", "facts_key": f"{i}", "is_serious": False,
                 "reason": "bench", "plate": p, "nominated_at": utcnow(),
                 "office_approved_by_id": 1, "starts_on": today,
                 "ends_on": today.replace(year=today.year + 1), "updated_at": utcnow()}
                for i, p in enumerate(listed)]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(BlacklistEntry), rows[start:start + 5000])
        plate_keys.add_plates(db.session.connection(), [r["plate"] for r in rows])
        db.session.commit()
        actor = db.session.scalar(select(User).where(User.username == "officer1"))
        probes = [rng.choice(listed) if i % 2 else _plates(rng, 1)[0]
                  for i in range(args.checks)]
        messy = [p[0] + p[1].lower() + "·" + p[2:] for p in probes]

        check.check_plate(actor, messy[0])  # warm the plate cache once, as a running app has
        app_times = []
        for raw in messy:
            started = time.perf_counter()
            check.check_plate(actor, raw)
            app_times.append((time.perf_counter() - started) * 1000)
        sql = select(BlacklistEntry.id).where(BlacklistEntry.plate == text(":p"),
                                              BlacklistEntry.status.in_(ACTIVE))
        raw_times = []
        for plate in probes:
            started = time.perf_counter()
            db.session.execute(sql, {"p": plate}).all()
            raw_times.append((time.perf_counter() - started) * 1000)

    def line(name, values):
        values = sorted(values)
        p95 = values[int(len(values) * 0.95) - 1]
        return (f"{name:<28} median {statistics.median(values):7.3f} ms   "
                f"p95 {p95:7.3f} ms   max {values[-1]:7.3f} ms")

    print(f"{args.entries} listed entries, {args.cases} cases, {args.checks} checks "
          f"(half listed, messy input)")
    print(line("app check (check_plate)", app_times))
    print(line("raw indexed SQL", raw_times))


if __name__ == "__main__":
    main()
