"""``make bench``: every figure of issue 8 beside its reference, measured in the same run.

    .venv/bin/python bench/run.py            # or: make bench
    BENCH_CASES=100000 make bench            # a quicker, smaller data set
    BENCH_ONLY=plate_check,case_map make bench

Environment (all optional): ``BENCH_CASES`` (1000000), ``BENCH_SEED`` (1), ``BENCH_ROUNDS`` (15),
``BENCH_SECONDS`` per load run (1), ``BENCH_CONNECTIONS`` (4), ``BENCH_IMPORT_ROWS`` (100000),
``BENCH_LISTED_SHARE`` of checked plates that are listed (0.1), ``BENCH_ONLY`` (figure groups),
``BENCH_DATA`` (the folder of the data sets, default ``bench/data``),
``BENCH_DATABASE_URL`` (a PostgreSQL database the bench may empty and fill: the data set and
the HTTP figures again on PostgreSQL, see bench/pg.py), ``BENCH_PG_CASES`` (its size, default
``BENCH_CASES``).
Prints one table and writes it as JSON under ``bench/results/``. Servers on loopback only; every
load run is bounded by ``BENCH_SECONDS``.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import dataset, figures, pg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GROUPS = ("plate_check", "case_list", "case_map", "demo_data", "import", "monthly_report",
          "assessment")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def settings() -> dict:
    cases = env_int("BENCH_CASES", 1_000_000)
    return {"cases": cases, "pg_cases": env_int("BENCH_PG_CASES", cases),
            "seed": env_int("BENCH_SEED", 1),
            "rounds": env_int("BENCH_ROUNDS", 15), "seconds": env_int("BENCH_SECONDS", 1),
            "connections": env_int("BENCH_CONNECTIONS", 4),
            "import_rows": env_int("BENCH_IMPORT_ROWS", 100_000),
            "listed_share": float(os.environ.get("BENCH_LISTED_SHARE") or 0.1),
            "only": [g for g in (os.environ.get("BENCH_ONLY") or "").split(",") if g]}


def fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:,.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def table(rows: list[dict]) -> str:
    head = ("figure", "median", "reference (median)", "ratio", "target", "result")
    lines = [head]
    for r in rows:
        ref = "—" if r.get("reference") is None else \
            f"{fmt(r['reference'], r['unit'])} {r.get('reference_name', '')}".strip()
        lines.append((r["figure"], fmt(r.get("value"), r["unit"]), ref,
                      fmt(r.get("ratio"), "×"), r["target"], r["result"]))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main() -> int:
    cfg = settings()
    started = time.time()
    print(f"bench: {cfg['cases']:,} cases, seed {cfg['seed']}, {cfg['rounds']} rounds of "
          f"{cfg['seconds']} s, {cfg['connections']} connections", flush=True)
    record = dataset.ensure(cfg["cases"], cfg["seed"], log=lambda m: print(m, flush=True))
    rows: list[dict] = []
    groups = [g for g in GROUPS if not cfg["only"] or g in cfg["only"]]
    for group in groups:
        print(f"-- {group}", flush=True)
        t0 = time.perf_counter()
        try:
            rows += getattr(figures, group)(record, cfg)
        except Exception as exc:  # noqa: BLE001 - one broken figure must not hide the others
            print(f"   {group} failed: {exc!r}", flush=True)
            rows.append({"figure": group, "unit": "", "value": None, "target": "",
                         "result": f"error: {type(exc).__name__}", "detail": str(exc)[:2000]})
        print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
    pg_url = os.environ.get("BENCH_DATABASE_URL")
    if pg_url:
        try:
            pg_record = pg.ensure(pg_url, cfg["pg_cases"], cfg["seed"],
                                  log=lambda m: print(m, flush=True))
            rows += [dict(row, figure=row["figure"] + " [PostgreSQL]")
                     for row in figures.demo_data(pg_record, cfg)]
            rows += pg.figures_on(pg_record, cfg, groups, figures)
        except Exception as exc:  # noqa: BLE001 - the SQLite figures stand on their own
            print(f"   PostgreSQL figures failed: {exc!r}", flush=True)
            rows.append({"figure": "PostgreSQL figures", "unit": "", "value": None,
                         "target": "", "result": f"error: {type(exc).__name__}",
                         "detail": str(exc)[:2000]})
    rows += figures.database_note()
    print()
    print(f"Data set: {record['cases']:,} cases (seed {record['seed']}), "
          f"{record.get('blacklist_entries', 0):,} blacklist entries, {record.get('units')} units;"
          f" SQLite{' and PostgreSQL' if pg_url else ''}; medians of {cfg['rounds']} rounds.")
    print(table(rows))
    for r in rows:
        if r.get("note"):
            print(f"- {r['figure']}: {r['note']}")
    passed = sum(r["result"] == "pass" for r in rows)
    failed = sum(r["result"] == "FAIL" for r in rows)
    print(f"{passed} pass, {failed} fail, {len(rows) - passed - failed} other "
          f"in {time.time() - started:.0f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    result = {"started_at": stamp, "settings": cfg, "machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "load_average": os.getloadavg()},
        "dataset": {k: v for k, v in record.items() if k not in ("tokens", "passwords")},
        "rows": rows, "table": table(rows)}
    for name in (f"bench-{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(result, indent=1, ensure_ascii=False,
                                               default=str))
    print(f"written to bench/results/bench-{stamp}.json")
    return 0


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


if __name__ == "__main__":
    sys.exit(main())
