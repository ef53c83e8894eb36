"""The figures of issue 8, each beside its reference measured in the same run.

Each public function takes the data set record and the settings and returns table rows:
``{"figure", "unit", "value", "reference", "reference_name", "ratio", "target", "result",
"rounds": [...]}``. HTTP figures alternate the app and its reference within every round (the
order rotating), so that a neighbour's load hits both alike; the ratio is the median of the
per-round ratios.
"""
from __future__ import annotations

import importlib
import random
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench import dataset, imports, load, pg

ROOT = Path(__file__).resolve().parent.parent
FULL = 1_000_000
CHONGQING_BBOX = "105.28,28.16,110.19,32.20"  # the city's extent (lng/lat), as the page asks
MAP_ZOOM = 8
WARM_UP_SECONDS = 2


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _verdict(ok) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def _row(figure, unit, value, target, ok, **extra) -> dict:
    return {"figure": figure, "unit": unit, "value": value, "target": target,
            "result": _verdict(ok), **extra}


def _rounds(cfg, runners: dict) -> dict:
    """Warm every server up (2 s of the same load, not counted: the workers' first requests
    fill their caches), then run every named load in each round, rotating the order; returns
    name → [results]."""
    out = {name: [] for name in runners}
    names = list(runners)
    for name in names:
        runners[name](WARM_UP_SECONDS)
    for n in range(cfg["rounds"]):
        order = names[n % len(names):] + names[:n % len(names)]
        for name in order:
            result = runners[name](cfg["seconds"])
            out[name].append(result)
            print(f"   round {n + 1} {name}: {result['rps']:.0f} req/s, p50 "
                  f"{result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                  f"errors {result['errors']}", flush=True)
    return out


def _ratio_rows(figure, app, ref, ref_name, minimum, target) -> dict:
    ratios = [a["rps"] / r["rps"] for a, r in zip(app, ref) if r["rps"]]
    ratio = _median(ratios)
    errors = sum(a["errors"] for a in app)
    ok = ratio is not None and ratio >= minimum and errors == 0
    notes = [f"{errors} failed responses"] if errors else []
    if len(ratios) >= 4:  # how much the rounds disagree on this machine
        low, _mid, high = statistics.quantiles(ratios, n=4)
        notes.append(f"rounds' ratios {low:.2f}–{high:.2f} (quartiles)")
    return _row(figure, "req/s", _median([a["rps"] for a in app]), target, ok,
                reference=_median([r["rps"] for r in ref]), reference_name=ref_name,
                ratio=ratio, ratios=ratios, rounds={"app": app, "reference": ref},
                note="; ".join(notes))


def _servers(record, *names):
    url = record.get("database_url")  # PostgreSQL (bench/pg.py), else the SQLite file
    env = dataset.app_env(Path(record["instance"]), **({"DATABASE_URL": url} if url else {}))
    made = {}
    try:
        if "app" in names:
            made["app"] = load.gunicorn("app", "app:create_app()", env)
        if "bare" in names:
            made["bare"] = load.gunicorn(
                "bare", "bench.bare_app:app",
                {**env, **({"BENCH_PG": url} if url else {"BENCH_SQLITE": record["db"]})},
                "/check?plate=x")
        if "datasette" in names and not url:
            made["datasette"] = load.datasette(record["db"])
    except Exception:
        for server in made.values():
            if server:
                server.stop()
        raise
    return made


def _stop(servers: dict) -> None:
    for server in servers.values():
        if server:
            server.stop()


WORKER_PEAKS: list[float] = []


def plate_check(record, cfg) -> list[dict]:
    """The plate check API with a token, against the bare Flask look-up and Datasette."""
    if not load.have_wrk():
        return [_row("plate check API", "req/s", None, "", None, note="wrk missing")]
    if record.get("database_url"):
        plates = pg.probe_plates(record["database_url"], 2000, cfg["listed_share"], cfg["seed"])
    else:
        plates = dataset.probe_plates(record["db"], 2000, cfg["listed_share"], cfg["seed"])
    quoted = [urllib.parse.quote(p) for p in plates]
    app_paths = [f"/api/v1/blacklist/check?plate={q}" for q in quoted]
    bare_paths = [f"/check?plate={q}" for q in quoted]
    sql = urllib.parse.quote("select uid, list_kind, subject_kind, status, plate, rule_code, "
                             "starts_on, ends_on from blacklist_entries where plate = :plate "
                             "and status in ('listed', 'published')")
    ds_paths = [f"/enforcement.json?sql={sql}&plate={q}&_shape=array" for q in quoted]
    auth = {"Authorization": f"Bearer {record['tokens']['officer1']}"}
    servers = _servers(record, "app", "bare", "datasette")
    try:
        kw = {"connections": cfg["connections"]}
        runners = {
            "app": lambda t: load.wrk(servers["app"].base, app_paths, headers=auth, seconds=t,
                                      **kw),
            "bare": lambda t: load.wrk(servers["bare"].base, bare_paths, seconds=t, **kw)}
        if servers.get("datasette"):
            runners["datasette"] = lambda t: load.wrk(servers["datasette"].base, ds_paths,
                                                      seconds=t, **kw)
        results = _rounds(cfg, runners)
        WORKER_PEAKS.append(servers["app"].worker_peak_rss_mb())
    finally:
        _stop(servers)
    rows = [_ratio_rows("plate check API (token) vs bare Flask", results["app"],
                        results["bare"], "bare Flask", 0.8, "≥ 0.8× bare")]
    p99 = _median([a["p99_ms"] for a in results["app"]])
    rows.append(_row("plate check API p99 latency", "ms", p99, "≤ 10 ms", p99 <= 10,
                     reference=_median([b["p99_ms"] for b in results["bare"]]),
                     reference_name="bare Flask",
                     note=f"{cfg['connections']} connections, "
                          f"{cfg['listed_share']:.0%} of plates listed"))
    if "datasette" in results:
        rows.append(_ratio_rows("plate check API (token) vs Datasette", results["app"],
                                results["datasette"], "Datasette", 4.0, "≥ 4× Datasette"))
    else:
        rows.append(_row("plate check API vs Datasette", "req/s", None, "≥ 4× Datasette",
                         None, note="Datasette not installed (make bench installs it)"))
    return rows


def case_list(record, cfg) -> list[dict]:
    """The case list: API page against the bare keyset page, and the HTML page's p50."""
    if not load.have_wrk():
        return [_row("case list API page", "req/s", None, "", None, note="wrk missing")]
    if record.get("database_url"):
        max_id = pg.max_case_id(record["database_url"])
    else:
        conn = sqlite3.connect(f"file:{record['db']}?mode=ro", uri=True)
        max_id = conn.execute("SELECT max(id) FROM cases").fetchone()[0] or 1
        conn.close()
    rng = random.Random(cfg["seed"])
    depths = [0] + [rng.randrange(1, max_id) for _ in range(999)]
    from core.pagination import encode_cursor

    api_paths = ["/api/v1/cases?status=closed&limit=50"
                 + (f"&cursor={encode_cursor(d)}" if d else "") for d in depths]
    bare_paths = [f"/cases?status=closed&limit=50&after={d}" for d in depths]
    html_paths = ["/cases?status=closed" + (f"&before={max_id - d + 1}" if d else "")
                  for d in depths]
    auth = {"Authorization": f"Bearer {record['tokens']['auditor']}"}
    servers = _servers(record, "app", "bare")
    try:
        cookie = load.login_cookie(servers["app"].base, "auditor",
                                   record["passwords"]["auditor"])
        kw = {"connections": cfg["connections"]}
        results = _rounds(cfg, {
            "api": lambda t: load.wrk(servers["app"].base, api_paths, headers=auth, seconds=t,
                                      **kw),
            "bare": lambda t: load.wrk(servers["bare"].base, bare_paths, seconds=t, **kw),
            # one connection: the latency is the server's time for one page, not queueing
            "html": lambda t: load.wrk(servers["app"].base, html_paths, seconds=t,
                                       connections=1, headers={"Cookie": cookie})})
        WORKER_PEAKS.append(servers["app"].worker_peak_rss_mb())
    finally:
        _stop(servers)
    rows = [_ratio_rows("case list API page (50, filtered, keyset)", results["api"],
                        results["bare"], "bare Flask", 0.7, "≥ 0.7× bare")]
    p50 = _median([h["p50_ms"] for h in results["html"]])
    errors = sum(h["errors"] for h in results["html"])
    rows.append(_row("case list HTML page p50 (any depth)", "ms", p50, "≤ 50 ms",
                     p50 <= 50 and errors == 0, rounds=results["html"],
                     note=f"p99 {_median([h['p99_ms'] for h in results['html']]):.0f} ms"
                          + (f"; {errors} failed responses" if errors else "")))
    return rows


def case_map(record, cfg) -> list[dict]:
    """The case map of every case (page, data, boundaries) against a raw-points folium map."""
    servers = _servers(record, "app")
    paths = ["/cases/map", f"/cases/map/data?bbox={CHONGQING_BBOX}&zoom={MAP_ZOOM}",
             "/cases/map/units"]
    app_times, sizes, ref_times, ref_sizes = [], [], [], []
    try:
        cookie = load.login_cookie(servers["app"].base, "auditor",
                                   record["passwords"]["auditor"])
        for _ in range(cfg["rounds"]):
            total, size = 0.0, 0
            for path in paths:
                seconds, status, nbytes = load.fetch(servers["app"].base, path,
                                                     {"Cookie": cookie})
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                total += seconds
                size += nbytes
            app_times.append(total)
            sizes.append(size)
            seconds, nbytes = _folium_reference(record["db"])
            ref_times.append(seconds)
            ref_sizes.append(nbytes)
            print(f"   round: app {total:.2f} s {size / 2**20:.2f} MiB; raw folium "
                  f"{seconds:.2f} s {nbytes / 2**20:.1f} MiB", flush=True)
        WORKER_PEAKS.append(servers["app"].worker_peak_rss_mb())
    finally:
        _stop(servers)
    t, mib = _median(app_times), _median(sizes) / 2**20
    ref_t, ref_mib = _median(ref_times), _median(ref_sizes) / 2**20
    return [
        _row("case map of all cases: build time", "s", t, "≤ 1 s", t <= 1.0, reference=ref_t,
             reference_name="raw folium HeatMap", ratio=t / ref_t if ref_t else None,
             note="page + cell data (whole city, zoom 8) + boundaries, over HTTP"),
        _row("case map of all cases: size", "MiB", mib, "≤ 0.5 MiB", mib <= 0.5,
             reference=ref_mib, reference_name="raw folium HeatMap",
             ratio=mib / ref_mib if ref_mib else None)]


FOLIUM_REFERENCE = """
import sqlite3, sys, time, io
started = time.perf_counter()
import folium
from folium.plugins import HeatMap
conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
points = conn.execute("SELECT lat, lng FROM cases WHERE lat IS NOT NULL AND lng IS NOT NULL").fetchall()
m = folium.Map(location=[29.563, 106.551], zoom_start=9, tiles=None)
HeatMap(points).add_to(m)
out = io.BytesIO()
m.save(out, close_file=False)
print(time.perf_counter() - started, len(out.getvalue()))
"""


def _folium_reference(db_path: str) -> tuple[float, int]:
    """The issue's reference: every point into a folium HeatMap, rendered to HTML."""
    done = subprocess.run([dataset.PYTHON, "-c", FOLIUM_REFERENCE, db_path], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    seconds, nbytes = done.stdout.split()
    return float(seconds), int(nbytes)


def demo_data(record, cfg) -> list[dict]:
    """The whole ``flask demo-data --cases N`` command (timed when the data set was built: the
    cases and every module's demo steps) against raw executemany of the same case rows. The
    target is for 1,000,000 cases; a smaller data set is reported without a verdict (the
    modules' demo steps cost about the same at any size)."""
    full = record["cases"] >= FULL
    value = record.get("demo_data_seconds")
    ref = record.get("raw_executemany_seconds")
    return [_row(f"demo-data, {record['cases']:,} cases", "s", value,
                 "≤ 120 s" if full else "≤ 120 s at 1,000,000",
                 None if value is None or not full else value <= 120, reference=ref,
                 reference_name="raw executemany (cases rows)",
                 ratio=value / ref if value and ref else None,
                 note=f"whole command, timed when the data set was built ({record['built_at']});"
                      f" of which the cases {record.get('demo_cases_seconds')} s"
                      + (f"; steps: {record['demo_steps']}" if record.get("demo_steps") else ""))]


def _copy_db(record) -> Path:
    """A scratch copy of the data set (imports and reports write to it)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-scratch-", dir=ROOT / "bench" / "data"))
    src = Path(record["instance"])
    conn = sqlite3.connect(record["db"])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for name in ("enforcement.sqlite3", "secret_key", "encryption_key"):
        shutil.copy2(src / name, folder / name)
    return folder


def import_(record, cfg) -> list[dict]:
    """Import N case rows from CSV and XLSX (full validation) into a copy of the data set:
    time, and the importer's peak memory against a tenth as many rows (flat = streamed)."""
    rows = cfg["import_rows"]
    scale = rows / 100_000
    limit = 60 * scale
    folder = _copy_db(record)
    out = []
    try:
        env = dataset.app_env(folder)
        for kind in ("csv", "xlsx"):
            small = imports.make_file(folder, kind, max(rows // 10, 1), prefix=f"S{kind}")
            big = imports.make_file(folder, kind, rows, prefix=f"B{kind}")
            small_run = imports.run_import(small, env)
            big_run = imports.run_import(big, env)
            if not big_run["ok"]:
                print(f"   {kind} import failed: {big_run['stderr'][-1500:]}", flush=True)
            print(f"   {kind}: {rows} rows {big_run['seconds']:.1f} s, peak "
                  f"{big_run['peak_mb']:.0f} MB (vs {small_run['peak_mb']:.0f} MB for "
                  f"{max(rows // 10, 1)} rows); {big_run['summary']}", flush=True)
            extra_rows = rows - max(rows // 10, 1)
            marginal = ((big_run["seconds"] - small_run["seconds"]) / extra_rows * 1000
                        if extra_rows else big_run["seconds"] / rows * 1000)
            flat = big_run["peak_mb"] <= small_run["peak_mb"] * 1.25 + 20
            ok = big_run["ok"] and big_run["seconds"] <= limit
            target = "≤ 60 s" if scale == 1 else f"≤ {limit:.1f} s (60 s × {scale:g})"
            out.append(_row(f"import {rows:,} rows {kind.upper()}: time", "s",
                            big_run["seconds"], target, ok,
                            note=f"{marginal:.2f} ms/row beyond start-up (against the "
                                 f"tenth); " + big_run["summary"]
                                 + ("" if big_run["ok"] else " " + big_run["stderr"][-300:])))
            out.append(_row(f"import {rows:,} rows {kind.upper()}: peak memory", "MB",
                            big_run["peak_mb"], "flat (≤ 1.25× + 20 MB of a tenth)", flat,
                            reference=small_run["peak_mb"],
                            reference_name=f"{max(rows // 10, 1):,} rows",
                            ratio=big_run["peak_mb"] / small_run["peak_mb"]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def monthly_report(record, cfg) -> list[dict]:
    """``flask reports monthly`` of the busiest complete month, on a copy of the data set."""
    conn = sqlite3.connect(f"file:{record['db']}?mode=ro", uri=True)
    month, count = conn.execute(
        "SELECT strftime('%Y-%m', occurred_at) AS m, count(*) FROM cases "
        "WHERE occurred_at < date('now', 'start of month') GROUP BY m ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    conn.close()
    folder = _copy_db(record)
    try:
        env = dataset.app_env(folder)
        times = []
        for _ in range(cfg["rounds"]):
            started = time.perf_counter()
            done = subprocess.run([dataset.FLASK, "reports", "monthly", month], cwd=ROOT,
                                  env=env, capture_output=True, text=True, timeout=900)
            times.append(time.perf_counter() - started)
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    value = _median(times)
    return [_row(f"monthly report {month} ({count:,} cases): HTML+PDF+XLSX", "s", value,
                 "≤ 10 s", value <= 10,
                 note="whole CLI command incl. start-up"
                      + ("" if count >= 30_000 else "; a smaller month than the issue's 30,000"))]


def assessment(record, cfg) -> list[dict]:
    """The monthly assessment of all units and officers, against the same aggregates in raw
    SQL (:func:`bench.assess.measure`, ``flask assess run``); "not available" on a checkout
    without the assessment's scoring service (``assessment.scoring.assess``)."""
    try:
        scoring = importlib.import_module("assessment.scoring")
    except ImportError:
        scoring = None
    if scoring is None or not hasattr(scoring, "assess"):
        return [_row("monthly assessment of all units and officers", "s", "not available",
                     "≤ 2× raw SQL, ≤ 3 s", None,
                     note="assessment.scoring.assess is missing")]
    from bench import assess

    return assess.measure(record, cfg)


def database_note() -> list[dict]:
    rows = []
    if WORKER_PEAKS:
        peak = max(WORKER_PEAKS)
        rows.append(_row("peak memory of a web worker (HTTP figures)", "MB", peak, "≤ 300 MB",
                         peak <= 300, note="VmHWM of the gunicorn workers"))
    return rows


import_.__name__ = "import"
globals()["import"] = import_
