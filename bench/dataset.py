"""The benchmark data set: built once per (cases, seed) under ``bench/data/`` and reused.

``flask db upgrade`` and ``flask demo-data --cases N --seed S`` (timed: that is the demo-data
figure), then the extras the issue asks for: units up to ``UNITS`` (departmental units under the
districts and counties), blacklist entries up to ``ENTRIES`` (published vehicle entries written in
bulk), API tokens for the users the benchmarks act as. ``dataset.json`` beside the database file
records all this; a data set whose record matches is reused as it is.
"""
from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCH_DATA") or ROOT / "bench" / "data")  # where data sets are kept
FLASK = str(ROOT / ".venv" / "bin" / "flask")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
UNITS = 200
ENTRIES = 50_000
FORMAT = 4  # bump when what the builder writes changes


def app_env(instance: Path, **extra) -> dict:
    """The environment for the app's processes on this data set (SQLite, no DATABASE_URL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_DEBUG")}
    env.update({"INSTANCE_PATH": str(instance), "FLASK_APP": "app",
                "SESSION_COOKIE_SECURE": "0", "LOG_LEVEL": "WARNING",
                "TIP_RATE_LIMIT": "100000 per minute", "LOGIN_RATE_LIMIT": "1000 per minute"})
    env.update(extra)
    return env


def _run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _fill(instance: Path, seed: int) -> dict:
    """Units up to UNITS, blacklist entries up to ENTRIES, tokens: in a child process."""
    out = _run([PYTHON, str(ROOT / "bench" / "fill.py"), str(seed), str(UNITS), str(ENTRIES)],
               app_env(instance))
    return json.loads(out.strip().splitlines()[-1])


def _logins(instance: Path) -> dict:
    text = (instance / "demo-logins.txt").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        m = re.search(r"^\s*(\w+)\s.*?(Demo-\S+)", line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


def ensure(cases: int, seed: int, log=print) -> dict:
    """The data set record for ``cases`` and ``seed``, building the data set when needed."""
    instance = DATA / f"sqlite-{cases}-seed{seed}"
    record_path = instance / "dataset.json"
    if record_path.exists():
        record = json.loads(record_path.read_text())
        if record.get("format") == FORMAT and (instance / "enforcement.sqlite3").exists():
            log(f"reusing data set {instance} (built {record['built_at']})")
            _run([FLASK, "db", "upgrade"], app_env(instance))  # the schema of this checkout
            checkpoint(record["db"])
            return record
    env = app_env(instance)
    demo_path = instance / "demo-data.json"  # demo-data done: the rest may resume from here
    if demo_path.exists() and json.loads(demo_path.read_text()).get("format") == FORMAT:
        record = json.loads(demo_path.read_text())
        log(f"resuming data set {instance} after demo-data")
    else:
        if instance.exists():
            for child in instance.iterdir():
                if child.is_file():
                    child.unlink()
        instance.mkdir(parents=True, exist_ok=True)
        log(f"building data set {instance}: {cases} cases, seed {seed} ...")
        _run([FLASK, "db", "upgrade"], env)
        started = time.perf_counter()
        out = _run([FLASK, "demo-data", "--cases", str(cases), "--seed", str(seed)], env)
        total = time.perf_counter() - started
        m = re.search(r"demo cases: \d+ .* in ([\d.]+) s", out)
        record = {"format": FORMAT, "cases": cases, "seed": seed, "instance": str(instance),
                  "db": str(instance / "enforcement.sqlite3"),
                  "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "demo_data_seconds": round(total, 2),
                  "demo_cases_seconds": float(m.group(1)) if m else None,
                  "demo_steps": step_seconds(out)}
        demo_path.write_text(json.dumps(record))
        log(f"demo-data: {total:.1f} s in all, cases {record['demo_cases_seconds']} s")
    record["raw_executemany_seconds"] = raw_executemany_seconds(record["db"])
    log(f"raw executemany of the same case rows: {record['raw_executemany_seconds']:.1f} s")
    record.update(_fill(instance, seed))
    record["passwords"] = _logins(instance)
    checkpoint(record["db"])
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    return record


def step_seconds(out: str) -> str:
    """"cases 41.2 s, tips 3.1 s, …" from demo-data's "demo <step>: … in <s> s" lines."""
    found = re.findall(r"^demo (\w+): .*? in ([\d.]+) s\s*$", out, re.M)
    return ", ".join(f"{name} {float(sec):.1f} s" for name, sec in found)


def checkpoint(db_path: str) -> None:
    """Fold the write-ahead log into the database file, so that no figure pays for it."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def raw_executemany_seconds(db_path: str, chunk: int = 50_000) -> float:
    """The reference of the demo-data figure: the same ``cases`` rows written with the standard
    library's ``executemany`` into an empty table of the same shape (no secondary indexes, as
    the demo loader also builds them after the load), in one transaction. Only the writes are
    timed; reading the rows back is not."""
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    ddl = src.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='cases'")\
        .fetchone()[0]
    target_path = Path(db_path).with_name("executemany-reference.sqlite3")
    target_path.unlink(missing_ok=True)
    dst = sqlite3.connect(target_path)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    dst.execute(ddl)  # foreign keys are not enforced: PRAGMA foreign_keys is off
    cur = src.execute("SELECT * FROM cases ORDER BY id")
    width = len(cur.description)
    sql = f"INSERT INTO cases VALUES ({','.join('?' * width)})"
    spent = 0.0
    while rows := cur.fetchmany(chunk):
        started = time.perf_counter()
        dst.executemany(sql, rows)
        spent += time.perf_counter() - started
    started = time.perf_counter()
    dst.commit()
    spent += time.perf_counter() - started
    dst.close()
    src.close()
    target_path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(target_path) + suffix).unlink(missing_ok=True)
    return round(spent, 2)


def probe_plates(db_path: str, n: int, listed_share: float, seed: int) -> list[str]:
    """Plates to check: ``listed_share`` of them listed, the rest well-formed unlisted plates."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    listed = [r[0] for r in conn.execute(
        "SELECT plate FROM blacklist_entries WHERE plate IS NOT NULL "
        "AND status IN ('listed', 'published') ORDER BY plate")]
    conn.close()
    return pick_plates(listed, n, listed_share, random.Random(seed))


def pick_plates(listed: list[str], n: int, listed_share: float, rng) -> list[str]:
    known = set(listed)
    out = []
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    while len(out) < n:
        if listed and rng.random() < listed_share:
            out.append(rng.choice(listed))
        else:
            plate = "川" + rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(5))
            if plate not in known:
                out.append(plate)
    return out


if __name__ == "__main__":
    print(json.dumps(ensure(int(sys.argv[1]), int(sys.argv[2])), indent=1, ensure_ascii=False))
