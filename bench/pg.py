"""The PostgreSQL figures, when ``BENCH_DATABASE_URL`` names a PostgreSQL database the bench may
fill (it is emptied and rebuilt when its record does not match): the same data set built with
``flask demo-data`` and ``bench/fill.py`` through ``DATABASE_URL``, then the HTTP figures (plate
check, case list) against the bare Flask reference reading PostgreSQL with psycopg. Datasette
serves SQLite only, so the Datasette comparison is SQLite's alone.
"""
from __future__ import annotations

import json
import random
import re
import time

from bench import dataset

FORMAT = 1


def _connect(url: str):
    import psycopg

    return psycopg.connect(re.sub(r"^postgresql\+psycopg://", "postgresql://", url),
                           autocommit=True)


def _reset(url: str) -> None:
    """Drop every table of the public schema (the bench's own database)."""
    with _connect(url) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def ensure(url: str, cases: int, seed: int, log=print) -> dict:
    """The PostgreSQL data set record, building it when the database does not hold it."""
    instance = dataset.DATA / f"pg-{cases}-seed{seed}"  # keys and the record
    record_path = instance / "dataset.json"
    env = dataset.app_env(instance, DATABASE_URL=url)
    if record_path.exists():
        record = json.loads(record_path.read_text())
        try:
            with _connect(url) as conn:
                count = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        except Exception:  # noqa: BLE001 - no such table: build again
            count = None
        if record.get("format") == FORMAT and record.get("url") == url and count == cases:
            log(f"reusing PostgreSQL data set ({cases:,} cases)")
            dataset._run([dataset.FLASK, "db", "upgrade"], env)
            return record
    instance.mkdir(parents=True, exist_ok=True)
    log(f"building PostgreSQL data set: {cases:,} cases, seed {seed} ...")
    _reset(url)
    dataset._run([dataset.FLASK, "db", "upgrade"], env)
    started = time.perf_counter()
    out = dataset._run([dataset.FLASK, "demo-data", "--cases", str(cases), "--seed", str(seed)],
                       env)
    total = time.perf_counter() - started
    m = re.search(r"demo cases: \d+ .* in ([\d.]+) s", out)
    record = {"format": FORMAT, "url": url, "database_url": url, "cases": cases, "seed": seed,
              "instance": str(instance), "db": None,
              "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "demo_data_seconds": round(total, 2),
              "demo_cases_seconds": float(m.group(1)) if m else None,
              "demo_steps": dataset.step_seconds(out)}
    log(f"demo-data on PostgreSQL: {total:.1f} s in all")
    fill = dataset._run([dataset.PYTHON, str(dataset.ROOT / "bench" / "fill.py"), str(seed),
                         str(dataset.UNITS), str(dataset.ENTRIES)], env)
    record.update(json.loads(fill.strip().splitlines()[-1]))
    record["passwords"] = dataset._logins(instance)
    with _connect(url) as conn:
        conn.execute("ANALYZE")
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    return record


def probe_plates(url: str, n: int, listed_share: float, seed: int) -> list[str]:
    """As :func:`dataset.probe_plates`, reading the listed plates from PostgreSQL."""
    with _connect(url) as conn:
        listed = [r[0] for r in conn.execute(
            "SELECT plate FROM blacklist_entries WHERE plate IS NOT NULL "
            "AND status IN ('listed', 'published') ORDER BY plate")]
    return dataset.pick_plates(listed, n, listed_share, random.Random(seed))


def max_case_id(url: str) -> int:
    with _connect(url) as conn:
        return conn.execute("SELECT coalesce(max(id), 1) FROM cases").fetchone()[0]


def figures_on(record: dict, cfg: dict, groups, figures_module) -> list[dict]:
    """The HTTP figures on PostgreSQL, each labelled so."""
    rows = []
    for group in groups:
        if group not in ("plate_check", "case_list"):
            continue
        print(f"-- {group} [PostgreSQL]", flush=True)
        try:
            found = getattr(figures_module, group)(record, cfg)
        except Exception as exc:  # noqa: BLE001 - one broken figure must not hide the others
            print(f"   {group} [PostgreSQL] failed: {exc!r}", flush=True)
            found = [{"figure": group, "unit": "", "value": None, "target": "",
                      "result": f"error: {type(exc).__name__}", "detail": str(exc)[:2000]}]
        for row in found:
            if "Datasette" in row["figure"]:
                continue
            row["figure"] += " [PostgreSQL]"
            rows.append(row)
    return rows


if __name__ == "__main__":
    import os
    import sys

    print(json.dumps(ensure(os.environ["BENCH_DATABASE_URL"], int(sys.argv[1]),
                            int(sys.argv[2])), indent=1, ensure_ascii=False)[:2000])
