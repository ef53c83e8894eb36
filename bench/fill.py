"""Complete the benchmark data set after ``flask demo-data`` (run by bench/dataset.py with the
data set's INSTANCE_PATH): departmental units up to UNITS, published vehicle blacklist entries
up to ENTRIES (bulk insert), and API tokens. Prints one JSON line with what it made.

    .venv/bin/python bench/fill.py SEED UNITS ENTRIES
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN_USERS = ("officer1", "auditor")
DEPARTMENTS = (("GA", "police", "公安分局治安大队"), ("CG", "city_management", "城管执法大队"),
               ("SJ", "market_regulation", "市场监管所"), ("JT", "transport", "交通执法大队"))


def _plates(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    out: set[str] = set()
    while len(out) < n:
        plate = "渝" + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(5))
        if plate not in taken:
            out.add(plate)
    return sorted(out)


def main() -> None:
    seed, units_wanted, entries_wanted = (int(a) for a in sys.argv[1:4])
    from sqlalchemy import func, insert, select

    from app import create_app
    from blacklist import plate_keys
    from blacklist.models import BlacklistEntry
    from core import services
    from core.base import local_today, utcnow
    from core.models import Department, Unit, UnitKind, User
    from extensions import db

    app = create_app()
    rng = random.Random(seed)
    with app.app_context():
        parents = db.session.scalars(select(Unit).where(
            Unit.kind.in_([UnitKind.district, UnitKind.county])).order_by(Unit.code)).all()
        count = db.session.scalar(select(func.count(Unit.id)))
        serial = 1
        while count < units_wanted:
            for prefix, dept, label in DEPARTMENTS:
                for parent in parents:
                    if count >= units_wanted:
                        break
                    code = f"{parent.code}-{prefix}{serial + 10:02d}"
                    if db.session.scalar(select(Unit.id).where(Unit.code == code)):
                        continue
                    services.create_unit(actor=None, code=code, name=f"{parent.name}{label}",
                                         kind=UnitKind.department, parent=parent,
                                         department=Department(dept))
                    count += 1
            serial += 1
        db.session.commit()

        existing = db.session.scalar(select(func.count(BlacklistEntry.id)))
        taken = set(db.session.scalars(select(BlacklistEntry.plate)
                                       .where(BlacklistEntry.plate.is_not(None))))
        unit_ids = db.session.scalars(select(Unit.id).order_by(Unit.id)).all()
        office = db.session.scalar(select(User.id).where(User.username == "city"))
        today = local_today()
        now = utcnow()
        rows = [{"uid": f"bench{i:027x}", "unit_id": rng.choice(unit_ids),
                 "list_kind": "blacklist", "subject_kind": "vehicle",
                 "subject_key": f"vehicle:{p}", "status": "published", "rule_code": "bench",
                 "facts_key": f"bench-{i}", "is_serious": False, "reason": "bench", "plate": p,
                 "nominated_at": now, "office_approved_by_id": office, "starts_on": today,
                 "ends_on": today.replace(year=today.year + 1), "updated_at": now}
                for i, p in enumerate(_plates(rng, max(0, entries_wanted - existing), taken))]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(BlacklistEntry), rows[start:start + 5000])
        plate_keys.add_plates(db.session.connection(), [r["plate"] for r in rows])
        db.session.commit()

        tokens = {}
        for name in TOKEN_USERS:
            user = db.session.scalar(select(User).where(User.username == name))
            tokens[name] = services.issue_token(user, actor=None, name="bench")
        db.session.commit()
        print(json.dumps({"units": count, "blacklist_entries": existing + len(rows),
                          "tokens": tokens}))


if __name__ == "__main__":
    main()
